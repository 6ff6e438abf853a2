//! One test per fill rule of the bar matching model (SPEC §3.3).

mod common;
use common::*;
use vectrade_core::*;

const FLAT: &str = "100 100 100 100 1000";

#[test]
fn market_order_fills_at_the_next_open_never_the_current_bar() {
    let (mut run, a) = one_symbol(&["100 105 95 101 1000", "103 104 99 100 1000", FLAT]);
    run.submit(a, buy("10")).unwrap();
    let step = run.step(1).unwrap();
    let f = &step.agents[0].fills;
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].fill_price, d("103"), "next bar's open, not the close 101 of the bar it was placed on");
    assert_eq!(f[0].ts, t0() + HOUR);
    assert_eq!(step.agents[0].cash, d("100000") - d("1030"));
    assert_eq!(step.agents[0].equity, d("100000") - d("1030") + d("1000"), "marked at the close 100");
}

#[test]
fn slippage_moves_against_the_trader_and_stays_inside_the_bar() {
    let mut c = config(&["X"]);
    c.costs.slippage = SlippageModel::FixedBps { bps: d("10") };
    let sc = scenario(c, vec![("X", hourly(&[FLAT, "100 101 99 100 1000", "100 100.05 99 100 1000", FLAT]))]);
    let (mut run, a) = Run::start(sc, "a", RiskProfile::default()).unwrap();
    run.submit(a, buy("1")).unwrap();
    let f = run.step(1).unwrap().agents[0].fills[0].clone();
    assert_eq!(f.fill_price, d("100.1"));
    assert_eq!(f.slippage_bps, d("10"));
    run.submit(a, buy("1")).unwrap();
    let f = run.step(1).unwrap().agents[0].fills[0].clone();
    assert_eq!(f.fill_price, d("100.05"), "clamped to the high");
    assert_eq!(f.slippage_bps, d("5"), "the fill reports the slippage actually applied");
}

#[test]
fn limit_buy_fills_at_the_better_open_or_at_the_limit_or_waits() {
    // Bar 1 opens below the limit: fills at the open. Bar 2 dips to the limit: fills at the limit.
    let (mut run, a) = one_symbol(&[FLAT, "98 99 97 98 1000", "101 102 94 100 1000", "101 102 100 101 1000", FLAT]);
    run.submit(a, OrderRequest::limit("X", Side::Buy, d("1"), d("99"))).unwrap();
    run.step(1).unwrap();
    assert_eq!(fills(&run, a)[0].1, d("98"));
    run.submit(a, OrderRequest::limit("X", Side::Buy, d("1"), d("95"))).unwrap();
    run.step(1).unwrap();
    assert_eq!(fills(&run, a)[1].1, d("95"));
    let waiting = run.submit(a, OrderRequest::limit("X", Side::Buy, d("1"), d("90"))).unwrap();
    run.step(1).unwrap();
    assert_eq!(fills(&run, a).len(), 2);
    assert_eq!(run.engine().order(a, waiting.id).unwrap().status, OrderStatus::Open);
}

#[test]
fn limit_sell_mirrors() {
    let (mut run, a) = one_symbol(&[FLAT, FLAT, "100 106 99 101 1000", "107 108 106 107 1000"]);
    run.submit(a, buy("2")).unwrap();
    run.step(1).unwrap();
    run.submit(a, OrderRequest::limit("X", Side::Sell, d("1"), d("105"))).unwrap();
    run.submit(a, OrderRequest::limit("X", Side::Sell, d("1"), d("106.5"))).unwrap();
    run.step(1).unwrap();
    assert_eq!(fills(&run, a)[1].1, d("105"), "touched the limit intrabar");
    run.step(1).unwrap();
    assert_eq!(fills(&run, a)[2].1, d("107"), "gapped above the limit: the better open");
}

#[test]
fn stop_that_gaps_through_fills_at_the_open() {
    let (mut run, a) = one_symbol(&[FLAT, FLAT, "90 92 88 91 1000", FLAT]);
    run.submit(a, buy("1")).unwrap();
    run.step(1).unwrap();
    run.submit(a, OrderRequest::stop("X", Side::Sell, d("1"), d("95"))).unwrap();
    run.step(1).unwrap();
    assert_eq!(fills(&run, a)[1].1, d("90"), "min(open, stop) for a sell stop");
}

#[test]
fn stop_buy_fills_at_the_stop_when_touched_intrabar() {
    let (mut run, a) = one_symbol(&[FLAT, "100 104 99 103 1000", "106 107 105 106 1000", FLAT]);
    run.submit(a, OrderRequest::stop("X", Side::Buy, d("1"), d("102"))).unwrap();
    run.submit(a, OrderRequest::stop("X", Side::Buy, d("1"), d("105"))).unwrap();
    run.step(1).unwrap();
    assert_eq!(fills(&run, a), vec![(d("1"), d("102"), t0() + HOUR)]);
    run.step(1).unwrap();
    assert_eq!(fills(&run, a)[1].1, d("106"), "max(open, stop) after a gap up");
}

#[test]
fn stop_limit_triggers_then_rests_as_a_limit() {
    // Stop 102 triggers on bar 1 (open 103) but the price stays above the 101 limit. On bar 2 the
    // price never comes back to the stop, yet the order, now a resting limit, fills at 101.
    let (mut run, a) = one_symbol(&[FLAT, "103 105 102 104 1000", "101.5 101.8 100.5 101 1000", FLAT]);
    let o = run.submit(a, OrderRequest::stop_limit("X", Side::Buy, d("1"), d("102"), d("101"))).unwrap();
    run.step(1).unwrap();
    assert!(fills(&run, a).is_empty(), "triggered at 103 but 103 > limit 101");
    assert!(run.engine().order(a, o.id).unwrap().triggered);
    run.step(1).unwrap();
    assert_eq!(fills(&run, a)[0].1, d("101"));
    assert_eq!(run.engine().order(a, o.id).unwrap().status, OrderStatus::Filled);
}

#[test]
fn ioc_fills_what_it_can_on_the_next_bar_and_cancels_the_rest() {
    let mut c = config(&["X"]);
    c.costs.max_volume_participation = Some(d("0.1"));
    let sc = scenario(c, vec![("X", hourly(&[FLAT, "100 101 99 100 50", FLAT]))]);
    let (mut run, a) = Run::start(sc, "a", RiskProfile::default()).unwrap();
    let o = run.submit(a, buy("10").with_tif(TimeInForce::Ioc)).unwrap();
    run.step(1).unwrap();
    let o = run.engine().order(a, o.id).unwrap();
    assert_eq!(o.filled_quantity, d("5"), "10 % of a 50-unit bar");
    assert_eq!(o.status, OrderStatus::Cancelled);
    assert_eq!(o.end_reason.as_ref().unwrap().code, "ioc_remainder_cancelled");
}

#[test]
fn ioc_limit_not_reached_on_the_next_bar_is_cancelled() {
    let (mut run, a) = one_symbol(&[FLAT, FLAT, "90 91 89 90 1000"]);
    let o = run.submit(a, OrderRequest::limit("X", Side::Buy, d("1"), d("95")).with_tif(TimeInForce::Ioc)).unwrap();
    run.step(2).unwrap();
    assert!(fills(&run, a).is_empty(), "it only had bar 1");
    assert_eq!(run.engine().order(a, o.id).unwrap().status, OrderStatus::Cancelled);
}

#[test]
fn fok_is_all_or_nothing() {
    let mut c = config(&["X"]);
    c.costs.max_volume_participation = Some(d("0.1"));
    let sc = scenario(c, vec![("X", hourly(&[FLAT, "100 101 99 100 50", "100 101 99 100 1000", FLAT]))]);
    let (mut run, a) = Run::start(sc, "a", RiskProfile::default()).unwrap();
    let killed = run.submit(a, buy("10").with_tif(TimeInForce::Fok)).unwrap();
    run.step(1).unwrap();
    let o = run.engine().order(a, killed.id).unwrap();
    assert_eq!((o.filled_quantity, o.status), (d("0"), OrderStatus::Cancelled));
    assert_eq!(o.end_reason.as_ref().unwrap().code, "fok_not_filled");
    let filled = run.submit(a, buy("10").with_tif(TimeInForce::Fok)).unwrap();
    run.step(1).unwrap();
    assert_eq!(run.engine().order(a, filled.id).unwrap().status, OrderStatus::Filled);
}

#[test]
fn partial_fills_carry_over_under_the_participation_cap() {
    let mut c = config(&["X"]);
    c.costs.max_volume_participation = Some(d("0.1"));
    let sc = scenario(
        c,
        vec![("X", hourly(&[FLAT, "100 101 99 100 40", "101 102 100 101 40", "102 103 101 102 40", FLAT]))],
    );
    let (mut run, a) = Run::start(sc, "a", RiskProfile::default()).unwrap();
    let o = run.submit(a, buy("10")).unwrap();
    run.step(1).unwrap();
    assert_eq!(run.engine().order(a, o.id).unwrap().status, OrderStatus::PartiallyFilled);
    run.step(2).unwrap();
    let q: Vec<_> = fills(&run, a).iter().map(|f| (f.0, f.1)).collect();
    assert_eq!(q, vec![(d("4"), d("100")), (d("4"), d("101")), (d("2"), d("102"))]);
    let o = run.engine().order(a, o.id).unwrap();
    assert_eq!(o.status, OrderStatus::Filled);
    assert_eq!(o.avg_fill_price.unwrap(), d("100.8"));
}

#[test]
fn day_orders_expire_at_the_end_of_their_session() {
    let day2 = t0() + 24 * HOUR;
    let bars = vec![
        bar_at(t0(), FLAT),
        bar_at(t0() + HOUR, "100 100 99 100 1000"),
        bar_at(day2, "90 91 89 90 1000"),
        bar_at(day2 + HOUR, FLAT),
    ];
    let sc = scenario(config(&["X"]), vec![("X", bars)]);
    let (mut run, a) = Run::start(sc, "a", RiskProfile::default()).unwrap();
    let day = run.submit(a, OrderRequest::limit("X", Side::Buy, d("1"), d("95")).with_tif(TimeInForce::Day)).unwrap();
    let gtc = run.submit(a, OrderRequest::limit("X", Side::Buy, d("1"), d("95"))).unwrap();
    run.step(2).unwrap();
    let day = run.engine().order(a, day.id).unwrap();
    assert_eq!(day.status, OrderStatus::Cancelled, "never saw the next session's 90");
    assert_eq!(day.end_reason.as_ref().unwrap().code, "day_order_expired");
    assert_eq!(run.engine().order(a, gtc.id).unwrap().avg_fill_price, Some(d("90")));
}

#[test]
fn orders_for_a_symbol_without_a_bar_wait_for_its_next_bar() {
    // Y has no bar at t0+1h: its order waits and fills at Y's next bar.
    let x = hourly(&[FLAT, FLAT, FLAT]);
    let y = vec![bar_at(t0(), "50 50 50 50 1000"), bar_at(t0() + 2 * HOUR, "55 56 54 55 1000")];
    let sc = scenario(config(&["X", "Y"]), vec![("X", x), ("Y", y)]);
    let (mut run, a) = Run::start(sc, "a", RiskProfile::default()).unwrap();
    run.submit(a, OrderRequest::market("Y", Side::Buy, d("1")).with_tif(TimeInForce::Ioc)).unwrap();
    assert!(run.step(1).unwrap().agents[0].fills.is_empty());
    let f = run.step(1).unwrap().agents[0].fills.clone();
    assert_eq!((f[0].fill_price, f[0].ts), (d("55"), t0() + 2 * HOUR));
}

#[test]
fn commission_is_charged_on_every_fill() {
    let mut c = config(&["X"]);
    c.costs.commission = CommissionModel { per_unit: d("0.01"), bps: d("1"), minimum: d("1") };
    let sc = scenario(c, vec![("X", hourly(&[FLAT, FLAT, FLAT]))]);
    let (mut run, a) = Run::start(sc, "a", RiskProfile::default()).unwrap();
    run.submit(a, buy("10")).unwrap();
    run.submit(a, buy("500")).unwrap();
    let f = run.step(1).unwrap().agents[0].fills.clone();
    assert_eq!(f[0].commission, d("1.00"), "0.1 + 0.1 is below the minimum");
    assert_eq!(f[1].commission, d("10.00"), "5 per unit + 5 of bps");
    assert_eq!(run.engine().account(a).unwrap().fees_paid, d("11"));
}

fn bracket_run(bars: &[&str], path: IntrabarPath) -> (Run, AgentId) {
    let sc = scenario(config(&["X"]), vec![("X", hourly(bars))]);
    let mut run = Run::with_options(sc, RunOptions { intrabar_path: path, ..RunOptions::default() }).unwrap();
    let a = run.add_agent("a", RiskProfile::default()).unwrap();
    (run, a)
}

#[test]
fn bracket_exits_are_one_cancels_other() {
    let (mut run, a) = bracket_run(&[FLAT, FLAT, "101 111 100 110 1000", FLAT], IntrabarPath::default());
    let entry = run.submit(a, buy("10").with_stop_loss(d("95")).with_take_profit(d("110"))).unwrap();
    run.step(1).unwrap();
    let children: Vec<Order> = run.engine().open_orders(a).unwrap().into_iter().cloned().collect();
    assert_eq!(children.len(), 2);
    assert!(children.iter().all(|o| o.parent_id == Some(entry.id) && o.request.quantity == d("10")));
    run.step(1).unwrap();
    let f = run.engine().fills(a).unwrap();
    assert_eq!((f[1].fill_price, f[1].role), (d("110"), OrderRole::TakeProfit));
    let stop = children.iter().find(|o| o.role == OrderRole::StopLoss).unwrap();
    let stop = run.engine().order(a, stop.id).unwrap();
    assert_eq!(stop.status, OrderStatus::Cancelled);
    assert_eq!(stop.end_reason.as_ref().unwrap().code, "oco_sibling_filled");
    assert_eq!(run.engine().account(a).unwrap().open_positions(), 0);
}

#[test]
fn intrabar_path_decides_which_exit_of_a_bracket_fills() {
    // Both the stop (95) and the target (110) are inside the bar. The open 101 is nearer the low,
    // so the default path goes O→L→H→C: the stop fills first. High-first takes the target.
    let wide = "101 111 94 100 1000";
    for (path, want, role) in [
        (IntrabarPath::NearestExtremeFirst, "95", OrderRole::StopLoss),
        (IntrabarPath::HighFirst, "110", OrderRole::TakeProfit),
        (IntrabarPath::Pessimistic, "95", OrderRole::StopLoss),
    ] {
        let (mut run, a) = bracket_run(&[FLAT, FLAT, wide, FLAT], path);
        run.submit(a, buy("10").with_stop_loss(d("95")).with_take_profit(d("110"))).unwrap();
        run.step(2).unwrap();
        let f = run.engine().fills(a).unwrap();
        assert_eq!(f.len(), 2, "{path:?}: exactly one exit fills");
        assert_eq!((f[1].fill_price, f[1].role), (d(want), role), "{path:?}");
    }
    // Pessimistic beats the default when the open is nearer the high.
    let near_high = "109 111 94 100 1000";
    let (mut run, a) = bracket_run(&[FLAT, FLAT, near_high, FLAT], IntrabarPath::Pessimistic);
    run.submit(a, buy("10").with_stop_loss(d("95")).with_take_profit(d("110"))).unwrap();
    run.step(2).unwrap();
    assert_eq!(run.engine().fills(a).unwrap()[1].role, OrderRole::StopLoss);
}

#[test]
fn bracket_exits_can_fill_in_the_entry_bar_after_the_entry() {
    // The limit entry at 99 fills on the way down to 94; the stop at 96 is hit later in the same bar.
    let (mut run, a) = bracket_run(&[FLAT, "100 101 94 97 1000", FLAT], IntrabarPath::default());
    run.submit(a, OrderRequest::limit("X", Side::Buy, d("10"), d("99")).with_stop_loss(d("96"))).unwrap();
    run.step(1).unwrap();
    let f: Vec<_> = run.engine().fills(a).unwrap().iter().map(|f| (f.fill_price, f.role)).collect();
    assert_eq!(f, vec![(d("99"), OrderRole::Manual), (d("96"), OrderRole::StopLoss)]);
}

#[test]
fn trims_reduce_the_remaining_exits() {
    let (mut run, a) =
        bracket_run(&[FLAT, FLAT, "101 106 100 105 1000", "105 111 104 110 1000", FLAT], IntrabarPath::default());
    run.submit(a, buy("10").with_stop_loss(d("90")).with_take_profit(d("110")).with_trim(1, d("105"), d("4"))).unwrap();
    run.step(2).unwrap();
    let open: Vec<(OrderRole, Decimal)> =
        run.engine().open_orders(a).unwrap().iter().map(|o| (o.role, o.remaining())).collect();
    assert_eq!(open, vec![(OrderRole::StopLoss, d("6")), (OrderRole::TakeProfit, d("6"))]);
    run.step(1).unwrap();
    let trades = run.trades(a).unwrap();
    assert_eq!(trades.len(), 1);
    let exits: Vec<_> = trades[0].exits.iter().map(|l| (l.exit_type, l.trim_level, l.quantity)).collect();
    assert_eq!(exits, vec![(Some(ExitType::Trim), Some(1), d("4")), (Some(ExitType::TakeProfit), None, d("6"))]);
    assert_eq!(trades[0].status, TradeStatus::Closed);
    assert!(run.engine().open_orders(a).unwrap().is_empty(), "the stop went with the position");
}

#[test]
fn a_leveraged_long_is_liquidated_at_the_next_open_after_a_crash() {
    let mut c = config(&["X"]);
    c.leverage_cap = d("2");
    c.maintenance_margin = d("0.25");
    let sc = scenario(c, vec![("X", hourly(&[FLAT, FLAT, "80 80 50 55 1000", "52 60 50 58 1000", FLAT]))]);
    let (mut run, a) = Run::start(sc, "a", RiskProfile::default()).unwrap();
    run.submit(a, buy("1900")).unwrap();
    let s1 = run.step(1).unwrap();
    assert!(!s1.done);
    // Close 55: equity 100000 − 190000 + 104500 = 14500 < 25 % of 104500.
    let s2 = run.step(1).unwrap();
    assert_eq!(run.engine().status(a).unwrap(), AgentStatus::MarginCall);
    assert!(!s2.agents[0].liquidated);
    assert_eq!(run.submit(a, buy("1")).unwrap_err().kind, ErrorKind::AccountLiquidated);
    let s3 = run.step(1).unwrap();
    let f = &s3.agents[0].fills;
    assert_eq!((f[0].fill_price, f[0].role, f[0].side), (d("52"), OrderRole::Liquidation, Side::Sell));
    assert!(s3.agents[0].liquidated && s3.done, "the run ends with liquidated: true");
    assert_eq!(s3.agents[0].equity, d("100000") - d("190000") + d("98800"));
    let r = run.results(a).unwrap();
    assert!(r.liquidated);
    assert_eq!(run.step(1).unwrap_err().kind, ErrorKind::RunFinished);
}

#[test]
fn a_position_flips_with_a_close_and_an_open_queued_on_the_same_bar() {
    let mut c = config(&["X"]);
    c.short_enabled = true;
    let sc = scenario(c, vec![("X", hourly(&[FLAT, FLAT, "101 102 100 101 1000", FLAT]))]);
    let (mut run, a) = Run::start(sc, "a", RiskProfile::default()).unwrap();
    run.submit(a, OrderRequest::market("X", Side::Short, d("10"))).unwrap();
    run.step(1).unwrap();
    assert_eq!(run.submit(a, buy("10")).unwrap_err().kind, ErrorKind::PositionSideConflict, "not before the cover");
    run.submit(a, OrderRequest::market("X", Side::Cover, d("10"))).unwrap();
    run.submit(a, buy("10")).unwrap();
    let f = run.step(1).unwrap().agents[0].fills.clone();
    assert_eq!((f[0].side, f[1].side, f[1].fill_price), (Side::Cover, Side::Buy, d("101")), "both at the same open");
    assert_eq!(run.engine().account(a).unwrap().positions[0].quantity, d("10"));
}
