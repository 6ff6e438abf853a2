//! `vectrade-server`: serve the hosted API locally, print its OpenAPI document, or set a plan.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use vectrade_server::identity::Plan;
use vectrade_server::{ServerConfig, openapi_text, serve, set_plan};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The VecTrade API on the VecTrade engine, served from one SQLite file.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Database file (created with a local account on first start).
    #[arg(long, default_value = "vectrade.db", global = true)]
    db: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port (0 picks a free one and prints it).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Print the OpenAPI document (the one committed as server/openapi.json).
    Openapi,
    /// Set an account's plan: `free` (25 runs a month) or `pro` (200 runs, leaderboard handle).
    Plan {
        /// The account's id (printed at first start, or by POST /api/v1/auth/register).
        account: String,
        /// `free` or `pro`.
        plan: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Openapi) => {
            print!("{}", openapi_text());
            Ok(())
        }
        Some(Command::Plan { account, plan }) => match Plan::parse(&plan) {
            Some(p) => {
                set_plan(&cli.db, &account, p).map(|()| println!("account {account} is now on the {} plan", p.as_str()))
            }
            None => {
                eprintln!("error: plan must be 'free' or 'pro', got '{plan}'");
                return ExitCode::from(2);
            }
        },
        None => {
            let config = ServerConfig { db: cli.db, host: cli.host, port: cli.port };
            match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
                Ok(rt) => rt.block_on(serve(config)),
                Err(e) => {
                    eprintln!("error: cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
