//! Signal backtests are ordinary runs: the same fills as an agent placing the same orders.

mod common;
use std::sync::Arc;

use common::*;
use vectrade_core::*;

fn walk() -> Arc<Scenario> {
    let rows: Vec<String> = (0..40)
        .map(|i| {
            let p = 100 + (i % 7) * 3 - (i % 3) * 2;
            format!("{p} {} {} {p} 1000", p + 2, p - 2)
        })
        .collect();
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let mut c = config(&["X"]);
    c.short_enabled = true;
    c.costs.commission = CommissionModel { bps: d("10"), ..CommissionModel::default() };
    scenario(c, vec![("X", hourly(&refs))])
}

#[test]
fn signals_fill_like_the_same_orders_placed_by_an_agent() {
    let sc = walk();
    let n = 40;
    let entries: Vec<bool> = (0..n).map(|i| i % 6 == 1).collect();
    let exits: Vec<bool> = (0..n).map(|i| i % 6 == 4).collect();
    let shorts: Vec<bool> = (0..n).map(|i| i % 9 == 5).collect();
    let covers: Vec<bool> = (0..n).map(|i| i % 9 == 7).collect();
    let signals = Signals {
        entries: entries.clone(),
        exits: exits.clone(),
        short_entries: shorts.clone(),
        short_exits: covers.clone(),
        stops: Default::default(),
    };
    let (run, a) =
        backtest_signals(sc.clone(), "X", &signals, SignalSize::Units(d("5")), RunOptions::default()).unwrap();
    assert!(run.is_done());

    // The same rules by hand.
    let (mut manual, m) = Run::start(sc, "signals", RiskProfile::default()).unwrap();
    while !manual.is_done() {
        let i = manual.step_index();
        let held = manual.engine().account(m).unwrap().positions[0].quantity;
        let mut flat = held.is_zero();
        if held > Decimal::ZERO && exits[i] && !entries[i] {
            manual.submit(m, OrderRequest::market("X", Side::Sell, held)).unwrap();
            flat = true;
        } else if held < Decimal::ZERO && covers[i] && !shorts[i] {
            manual.submit(m, OrderRequest::market("X", Side::Cover, -held)).unwrap();
            flat = true;
        }
        let open = if entries[i] && !exits[i] {
            Some(Side::Buy)
        } else if shorts[i] && !covers[i] {
            Some(Side::Short)
        } else {
            None
        };
        if let (true, Some(side)) = (flat, open) {
            manual.submit(m, OrderRequest::market("X", side, d("5"))).unwrap();
        }
        manual.step(1).unwrap();
    }
    assert!(run.engine().fills(a).unwrap().len() > 6);
    assert_eq!(run.engine().fills(a).unwrap(), manual.engine().fills(m).unwrap());
    assert_eq!(run.results(a).unwrap(), manual.results(m).unwrap());
}

#[test]
fn equity_percent_sizing_and_bad_input() {
    let sc = walk();
    let entries: Vec<bool> = (0..40).map(|i| i == 2).collect();
    let signals = Signals { entries, exits: vec![false; 40], ..Signals::default() };
    let (run, a) =
        backtest_signals(sc.clone(), "X", &signals, SignalSize::EquityPct(d("50")), RunOptions::default()).unwrap();
    let f = &run.engine().fills(a).unwrap()[0];
    let close = sc.series()[0].bars[2].close;
    assert_eq!(f.quantity, (d("50000") / close).floor(), "half the equity at the decision bar's close");
    let short = Signals { entries: vec![true; 3], exits: vec![false; 40], ..Signals::default() };
    let e = backtest_signals(sc.clone(), "X", &short, SignalSize::Units(d("1")), RunOptions::default()).unwrap_err();
    let want = "`entries` has 3 flags for 40 bars of X: give one flag per bar";
    assert_eq!((e.kind, e.detail.as_str()), (ErrorKind::InvalidArgument, want));
    // Issue 10, finding 11: no flags at all was taken as "never" while too few were refused.
    let none = Signals::default();
    let e = backtest_signals(sc.clone(), "X", &none, SignalSize::Units(d("1")), RunOptions::default()).unwrap_err();
    assert_eq!(e.detail, "`entries` has 0 flags for 40 bars of X: give one flag per bar");
    let no_exits = Signals { entries: vec![false; 40], ..Signals::default() };
    let e = backtest_signals(sc.clone(), "X", &no_exits, SignalSize::Units(d("1")), RunOptions::default()).unwrap_err();
    assert_eq!(e.detail, "`exits` has 0 flags for 40 bars of X: give one flag per bar");
    let e = backtest_signals(sc, "Y", &signals, SignalSize::Units(d("1")), RunOptions::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnknownSymbol);
}
