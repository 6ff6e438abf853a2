//! Demo: a moving-average crossover agent trades a built-in scenario through the same run API an
//! AI agent uses (observe, queue orders, step), then prints its results table.
//!
//! `cargo run --release -p vectrade-core --example demo [scenario-slug]`

use std::process::ExitCode;
use std::sync::Arc;

use vectrade_core::time::format_rfc3339;
use vectrade_core::*;

const FAST: usize = 10;
const SLOW: usize = 30;

fn mean_close(bars: &[Bar]) -> Decimal {
    bars.iter().map(|b| b.close).sum::<Decimal>() / Decimal::from(bars.len())
}

/// One decision per bar: buy ~15 % of equity when the fast average crosses above the slow one,
/// sell everything when it crosses below.
fn decide(run: &mut Run, agent: AgentId) -> Result<()> {
    let universe = run.scenario().config().universe.clone();
    let equity = run.portfolio(agent)?.equity;
    for symbol in &universe {
        let bars = run.bars(symbol, SLOW)?;
        if bars.len() < SLOW {
            continue;
        }
        let (fast, slow) = (mean_close(&bars[SLOW - FAST..]), mean_close(bars));
        let price = bars[SLOW - 1].close;
        let i = run.engine().symbol_index(symbol).expect("universe symbol");
        let held = run.engine().account(agent)?.positions[i].quantity;
        let busy = run.engine().open_orders(agent)?.iter().any(|o| o.symbol() == symbol);
        if busy {
            continue;
        }
        if fast > slow && held.is_zero() {
            let quantity = (equity * Decimal::new(15, 2) / price).floor();
            if quantity > Decimal::ZERO {
                let order = OrderRequest::market(symbol, Side::Buy, quantity).with_reasoning("fast SMA above slow SMA");
                // A refusal (e.g. buying power after a gap) is part of trading: report and go on.
                if let Err(e) = run.submit(agent, order) {
                    eprintln!("  {} order refused: {} ({})", symbol, e.detail, e.code());
                }
            }
        } else if fast < slow && held > Decimal::ZERO {
            run.submit(
                agent,
                OrderRequest::market(symbol, Side::Sell, held).with_reasoning("fast SMA below slow SMA"),
            )?;
        }
    }
    Ok(())
}

/// `$1234.50`, `-$33.98`.
fn money(v: Decimal) -> String {
    let sign = if v.is_sign_negative() && !v.round_dp(2).is_zero() { "-" } else { "" };
    format!("{sign}${:.2}", v.abs())
}

fn print_results(run: &Run, agent: AgentId) -> Result<()> {
    let r = run.results(agent)?;
    let m = &r.metrics;
    let opt = |v: Option<f64>, unit: &str| v.map_or("n/a".to_string(), |v| format!("{v:.2}{unit}"));
    let rows = [
        ("final equity", money(r.final_equity)),
        ("total return", format!("{:.2} %", r.return_pct)),
        ("benchmark return (buy & hold)", opt(r.benchmark_return_pct, " %")),
        ("CAGR", format!("{:.2} %", m.cagr_pct)),
        ("volatility (annualised)", format!("{:.2} %", m.volatility_pct)),
        ("Sharpe (annualised)", format!("{:.2}", r.sharpe)),
        ("Sortino (annualised)", format!("{:.2}", r.sortino)),
        ("max drawdown", format!("{:.2} %", m.max_drawdown_pct)),
        ("Calmar", format!("{:.2}", m.calmar)),
        ("fills / round trips", format!("{} / {}", r.trade_count, m.round_trips)),
        ("win rate", format!("{:.1} %", m.win_rate_pct)),
        ("profit factor", opt(m.profit_factor, "")),
        ("expectancy per trade", money(m.expectancy)),
        ("exposure", format!("{:.1} %", m.exposure_pct)),
        ("fees", money(m.fees)),
        ("alpha (annualised) / beta", format!("{} / {}", opt(m.alpha_annual_pct, " %"), opt(m.beta, ""))),
        ("liquidated", r.liquidated.to_string()),
    ];
    println!("\n{:<32} {:>18}", "metric", "value");
    println!("{}", "-".repeat(51));
    for (k, v) in rows {
        println!("{k:<32} {v:>18}");
    }
    println!("\n{:<10} {:>14} {:>14} {:>10} {:>14}", "symbol", "realized", "unrealized", "fees", "net");
    for s in &r.per_symbol {
        println!(
            "{:<10} {:>14.2} {:>14.2} {:>10.2} {:>14.2}",
            s.symbol, s.realized_pnl, s.unrealized_pnl, s.fees, s.net_pnl
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let slug = std::env::args().nth(1).unwrap_or_else(|| catalog::entries()[0].slug.to_string());
    match demo(&slug) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error [{}]: {}", e.code(), e.detail);
            ExitCode::FAILURE
        }
    }
}

fn demo(slug: &str) -> Result<()> {
    let scenario = Arc::new(catalog::get(slug)?);
    let info = scenario.info();
    println!("VecTrade demo — SMA({FAST}/{SLOW}) crossover on '{}' ({})", info.config.slug, info.config.name);
    println!(
        "{} bars of {} from {} to {}, universe {}, benchmark {}",
        info.bar_count,
        info.config.bar_resolution,
        info.start_ts,
        info.end_ts,
        info.config.universe.join(", "),
        info.config.benchmark_symbol.as_deref().unwrap_or("none")
    );
    let (mut run, agent) = Run::start(scenario, "sma-crossover", RiskProfile::default())?;
    while !run.is_done() {
        decide(&mut run, agent)?;
        run.step(1)?;
    }
    println!("finished at {}", format_rfc3339(run.sim_time()));
    print_results(&run, agent)
}
