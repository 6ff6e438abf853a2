//! The README's short tour, as a program: `cargo run -p vectrade-core --example tour`.
//! The lines between the START and END markers are the README's snippet; `core/tests/docs.rs`
//! fails when the two drift apart.

use vectrade_core::Result;

fn main() -> Result<()> {
    // START tour
    use std::sync::Arc;
    use vectrade_core::*;

    let scenario = Arc::new(catalog::get("tech-2024-q2")?); // built-in, generated from a seed
    let profile = RiskProfile { max_position_size_pct: Some(Decimal::from(20)), ..RiskProfile::default() };
    let (mut run, me) = Run::start(scenario, "my-bot", profile)?;
    while !run.is_done() {
        let view = run.market(Some(&["AAPL"]), 50)?; // bars up to sim_time, never after
        let last = view.bars[0].bars.last().expect("at least one bar").close;
        if run.portfolio(me)?.positions.is_empty() && run.engine().open_orders(me)?.is_empty() {
            let order = OrderRequest::market("AAPL", Side::Buy, Decimal::from(50))
                .with_stop_loss(last * Decimal::new(97, 2)) // bracket exits, one-cancels-other
                .with_take_profit(last * Decimal::new(104, 2));
            if let Err(e) = run.submit(me, order) {
                eprintln!("{}: {}", e.code(), e.detail); // stable codes, e.g. insufficient_buying_power
            }
        }
        let step = run.step(1)?; // orders fill from the next bar's open on
        for f in &step.agents[0].fills {
            println!("{} {} {} @ {} ({:?})", f.side, f.quantity, f.symbol, f.fill_price, f.role);
        }
    }
    let results = run.results(me)?;
    println!(
        "return {:.2} %, Sharpe {:.2}, max drawdown {:.2} %",
        results.return_pct, results.sharpe, results.metrics.max_drawdown_pct
    );
    // END tour
    Ok(())
}
