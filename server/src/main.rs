//! `vectrade-server`: serve the hosted API locally, print its OpenAPI document, or set a plan.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use vectrade_server::db::Location;
use vectrade_server::identity::Plan;
use vectrade_server::{MarketSource, ServerConfig, openapi_text, parse_bar_interval, serve, set_plan};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The VecTrade API on the VecTrade engine, served from one SQLite file (or a PostgreSQL database).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Database: an SQLite file (created with a local account on first start) or a PostgreSQL
    /// URL (`postgres://user@host:5432/name`; the database must exist, its tables are created).
    #[arg(long, default_value = "vectrade.db", global = true)]
    db: String,
    /// File keeping the server secret (JWTs, sealed agent keys); created on first start.
    /// Default: `<db>.secret` beside an SQLite file; needed with PostgreSQL.
    #[arg(long, value_name = "FILE")]
    secret_file: Option<PathBuf>,
    /// Share a PostgreSQL database with other processes started with --shared: each account is
    /// served by one of them, the others forward its requests there.
    #[arg(long)]
    shared: bool,
    /// With --shared: the base URL other processes reach this one at (default: the address it
    /// listens on).
    #[arg(long, value_name = "URL", requires = "shared")]
    advertise_url: Option<String>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port (0 picks a free one and prints it).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Built-in scenario the live paper market of the bot routes replays.
    #[arg(long, default_value = "tech-2024-q2")]
    market: String,
    /// Replay a CSV file of OHLCV bars instead (any layout the engine reads).
    #[arg(long, value_name = "FILE")]
    market_csv: Option<PathBuf>,
    /// Symbol of the bars of a --market-csv file without a symbol column.
    #[arg(long, requires = "market_csv")]
    market_symbol: Option<String>,
    /// Time between two bars of the live market (`500ms`, `1s`, `1m`), or `manual`: only
    /// `POST /api/v1/operator/market/advance` moves it.
    #[arg(long, default_value = "1m", value_parser = parse_interval)]
    bar_interval: Interval,
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

/// A bar interval; `None` is manual.
#[derive(Debug, Clone, Copy)]
struct Interval(Option<Duration>);

fn parse_interval(text: &str) -> Result<Interval, String> {
    parse_bar_interval(text).map(Interval)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Openapi) => {
            print!("{}", openapi_text());
            Ok(())
        }
        Some(Command::Plan { account, plan }) => match Plan::parse(&plan) {
            Some(p) => set_plan(&Location::parse(&cli.db), &account, p)
                .map(|()| println!("account {account} is now on the {} plan", p.as_str())),
            None => {
                eprintln!("error: plan must be 'free' or 'pro', got '{plan}'");
                return ExitCode::from(2);
            }
        },
        None => {
            let market = match cli.market_csv {
                Some(path) => MarketSource::Csv { path, symbol: cli.market_symbol },
                None => MarketSource::Builtin(cli.market),
            };
            let config = ServerConfig {
                db: Location::parse(&cli.db),
                secret_file: cli.secret_file,
                host: cli.host,
                port: cli.port,
                market,
                bar_interval: cli.bar_interval.0,
                shared: cli.shared,
                advertise_url: cli.advertise_url,
            };
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
