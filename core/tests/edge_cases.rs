//! Edge cases found in review: partial brackets, retries, resets, margin calls without bars,
//! feeds pushed symbol by symbol, and inputs at the limits of the arithmetic.

mod common;
use common::*;
use vectrade_core::*;

const FLAT: &str = "100 100 100 100 1000";

#[test]
fn a_rate_limited_attempt_is_retried_under_its_key() {
    let p = RiskProfile { max_orders_per_minute: Some(1), ..RiskProfile::default() };
    let sc = scenario(config(&["X"]), vec![("X", hourly(&[FLAT; 4]))]);
    let (mut run, a) = Run::start(sc, "a", p).unwrap();
    run.submit_with_key(a, buy("1"), "k1").unwrap();
    assert_eq!(run.submit_with_key(a, buy("2"), "k2").unwrap_err().kind, ErrorKind::OrderRateLimited);
    run.step(1).unwrap();
    let placed = run.submit_with_key(a, buy("2"), "k2").unwrap();
    assert_eq!(run.submit_with_key(a, buy("2"), "k2").unwrap(), placed, "and is then remembered");
}

#[test]
fn a_rejected_order_retried_with_its_client_id_is_the_same_rejection() {
    let mut c = config(&["X"]);
    c.starting_cash = d("1000");
    let sc = scenario(c, vec![("X", hourly(&[FLAT; 3]))]);
    let (mut run, a) = Run::start(sc, "a", RiskProfile::default()).unwrap();
    let req = buy("50").with_client_order_id("c1");
    let first = run.submit(a, req.clone()).unwrap_err();
    assert_eq!(run.submit(a, req).unwrap_err(), first);
    assert_eq!(run.engine().orders(a).unwrap().len(), 1);
}

#[test]
fn trims_follow_a_partially_filled_entry_and_a_filled_target_ends_the_entry() {
    let mut c = config(&["X"]);
    c.costs.max_volume_participation = Some(d("0.1"));
    let bars = hourly(&[FLAT, "100 101 99 100 100", "102 103 101.5 102 1000", "99 100 98 99 1000", FLAT]);
    let sc = scenario(c, vec![("X", bars)]);
    let (mut run, a) = Run::start(sc, "a", RiskProfile::default()).unwrap();
    let entry = OrderRequest::limit("X", Side::Buy, d("100"), d("100"))
        .with_stop_loss(d("90"))
        .with_take_profit(d("101"))
        .with_trim(1, d("105"), d("50"));
    let entry = run.submit(a, entry).unwrap();
    run.step(1).unwrap(); // 10 of 100 filled: the volume cap
    let open = run.engine().open_orders(a).unwrap();
    let trim = open.iter().find(|o| matches!(o.role, OrderRole::Trim { .. })).unwrap();
    assert_eq!(trim.request.quantity, d("5"), "half of what filled, as the trim is half of the order");
    run.step(1).unwrap(); // the target at 101 fills at the open 102 while the entry still works
    let e = run.engine().order(a, entry.id).unwrap();
    assert_eq!((e.status, e.end_reason.as_ref().unwrap().code.as_str()), (OrderStatus::Cancelled, "bracket_closed"));
    run.step(2).unwrap(); // 99 would have filled the old entry
    assert_eq!(run.engine().account(a).unwrap().open_positions(), 0, "the entry did not reopen the position");
}

#[test]
fn pushing_symbols_one_at_a_time_matches_a_whole_slice_even_through_a_margin_check() {
    let mut c = config(&["X", "Y"]);
    c.leverage_cap = d("2");
    let t1 = t0() + HOUR;
    let t2 = t0() + 2 * HOUR;
    let mk = || {
        let mut e = Engine::new(EngineConfig::from_scenario(&c)).unwrap();
        let a = e.add_agent("a", RiskProfile::default()).unwrap();
        e.push_slice(t0(), &[(0, bar_at(t0(), FLAT)), (1, bar_at(t0(), FLAT))]).unwrap();
        e.submit(a, OrderRequest::market("X", Side::Buy, d("1000"))).unwrap();
        e.submit(a, OrderRequest::market("Y", Side::Buy, d("990"))).unwrap();
        e.push_slice(t1, &[(0, bar_at(t1, FLAT)), (1, bar_at(t1, FLAT))]).unwrap();
        (e, a)
    };
    // X crashes and Y soars at t2: fine as a whole, a margin call on X alone.
    let (x, y) = (bar_at(t2, "30 100 30 30 1000"), bar_at(t2, "100 170 100 170 1000"));
    let (mut whole, a) = mk();
    whole.push_slice(t2, &[(0, x), (1, y)]).unwrap();
    let (mut pushed, b) = mk();
    pushed.push_bar("X", x).unwrap();
    pushed.push_bar("Y", y).unwrap();
    assert_eq!(whole.status(a).unwrap(), AgentStatus::Active);
    assert_eq!(pushed.status(b).unwrap(), AgentStatus::Active);
    assert_eq!(pushed.fills(b).unwrap(), whole.fills(a).unwrap());
    assert_eq!(pushed.equity_curve(b).unwrap(), whole.equity_curve(a).unwrap());
}

#[test]
fn a_margin_call_on_a_symbol_that_never_trades_again_closes_at_the_end() {
    let mut c = config(&["X", "Y"]);
    c.leverage_cap = d("2");
    let x = hourly(&[FLAT, FLAT, "40 40 40 40 1000"]);
    let y = hourly(&[FLAT, FLAT, FLAT, FLAT, FLAT]);
    let sc = scenario(c, vec![("X", x), ("Y", y)]);
    let (mut run, a) = Run::start(sc, "a", RiskProfile::default()).unwrap();
    run.submit(a, OrderRequest::market("X", Side::Buy, d("1900"))).unwrap();
    run.step(2).unwrap();
    assert_eq!(run.engine().status(a).unwrap(), AgentStatus::MarginCall);
    let end = run.step(10).unwrap();
    assert!(end.done && end.agents[0].liquidated);
    let last = run.engine().fills(a).unwrap().last().unwrap().clone();
    assert_eq!((last.role, last.fill_price), (OrderRole::Liquidation, d("40")), "at X's last close");
    assert!(run.results(a).unwrap().liquidated);
}

#[test]
fn a_finished_run_cannot_be_reopened_by_a_reset() {
    let (mut run, a) = one_symbol(&[FLAT; 3]);
    run.step(5).unwrap();
    assert_eq!(run.reset_agent(a).unwrap_err().kind, ErrorKind::RunFinished);
    assert!(run.is_done());
}

#[test]
fn results_after_a_reset_cover_the_new_track_record() {
    let mut c = config(&["X"]);
    c.costs.commission = CommissionModel { minimum: d("1"), ..CommissionModel::default() };
    let sc = scenario(c, vec![("X", hourly(&[FLAT, FLAT, "110 110 110 110 1000", FLAT, FLAT]))]);
    let (mut run, a) = Run::start(sc, "a", RiskProfile::default()).unwrap();
    run.submit(a, buy("10")).unwrap();
    run.step(2).unwrap();
    run.reset_agent(a).unwrap(); // closes at 110 (commission 1), restores 100000
    run.submit(a, buy("5")).unwrap();
    run.step(5).unwrap();
    let r = run.results(a).unwrap();
    assert_eq!(r.trade_count, 1, "only the fill after the reset");
    assert_eq!(r.metrics.fees, d("1"));
    assert_eq!(r.metrics.starting_equity, d("100000"));
    assert_eq!(r.final_equity, d("100000") - d("500") - d("1") + d("500"));
    assert_eq!(run.engine().fills(a).unwrap().len(), 3, "history is kept");
}

#[test]
fn liquidate_and_finish_is_not_stopped_by_risk_limits() {
    let p = RiskProfile { max_open_orders: Some(1), ..RiskProfile::default() };
    let sc = scenario(config(&["X", "Y"]), vec![("X", hourly(&[FLAT; 5])), ("Y", hourly(&[FLAT; 5]))]);
    let (mut run, a) = Run::start(sc, "a", p).unwrap();
    run.submit(a, buy("1")).unwrap();
    run.step(1).unwrap();
    run.submit(a, OrderRequest::market("Y", Side::Buy, d("1"))).unwrap();
    run.step(1).unwrap();
    run.liquidate_and_finish(a, "done", None).unwrap();
    assert_eq!(run.engine().account(a).unwrap().open_positions(), 0);
}

#[test]
fn a_day_order_placed_after_the_last_bar_of_a_session_works_the_next_session() {
    let day2 = t0() + 24 * HOUR;
    let bars = vec![bar_at(t0(), FLAT), bar_at(day2, "96 97 94 95 1000"), bar_at(day2 + HOUR, FLAT)];
    let (mut run, a) = Run::start(scenario(config(&["X"]), vec![("X", bars)]), "a", RiskProfile::default()).unwrap();
    run.submit(a, OrderRequest::limit("X", Side::Buy, d("1"), d("95")).with_tif(TimeInForce::Day)).unwrap();
    run.step(1).unwrap();
    assert_eq!(fills(&run, a), vec![(d("1"), d("95"), day2)]);
}

#[test]
fn a_liquidated_agents_record_ends_at_its_liquidation() {
    let mut c = config(&["X"]);
    c.leverage_cap = d("2");
    let sc = scenario(c, vec![("X", hourly(&[FLAT, FLAT, "50 50 50 50 1000", "50 50 50 50 1000", FLAT, FLAT]))]);
    let mut run = Run::new(sc).unwrap();
    let a = run.add_agent("a", RiskProfile::default()).unwrap();
    let b = run.add_agent("b", RiskProfile::default()).unwrap();
    run.submit(a, buy("1900")).unwrap();
    run.step(3).unwrap();
    let at_liquidation = run.results(a).unwrap();
    run.step(5).unwrap();
    assert_eq!(run.results(a).unwrap(), at_liquidation, "later bars do not change a liquidated agent's grade");
    assert_eq!(run.engine().equity_curve(b).unwrap().len(), 6);
    assert_eq!(run.engine().equity_curve(a).unwrap().len(), 4);
}

#[test]
fn limits_of_the_arithmetic_are_errors_not_panics() {
    let mut c = ScenarioConfig::new("big", "Big", &["X"]);
    c.starting_cash = Decimal::MAX;
    let e = Engine::new(EngineConfig::from_scenario(&c)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidScenario);

    let bar = Bar { ts: i64::MAX - 1, ..bar_at(0, FLAT) };
    assert_eq!(bar.validate("X").unwrap_err().kind, ErrorKind::InvalidBar);

    let mut e = Engine::new(EngineConfig::from_scenario(&config(&["X"]))).unwrap();
    let a = e.add_agent("a", RiskProfile::default()).unwrap();
    e.push_bar("X", bar_at(t0(), "0.00000001 0.00000001 0.00000001 0.00000001 1")).unwrap();
    e.submit(a, OrderRequest::market("X", Side::Buy, d("1000000000000000"))).unwrap_err(); // 10^7 of cash needed
    e.submit(a, OrderRequest::market("X", Side::Buy, d("10000000000000"))).unwrap();
    let more = e.submit(a, OrderRequest::market("X", Side::Buy, d("990000000000001"))).unwrap_err();
    assert_eq!(more.kind, ErrorKind::InvalidQuantity, "{}", more.detail);
    e.push_bar("X", bar_at(t0() + HOUR, "0.00000001 10000000000 0.00000001 10000000000 1")).unwrap();
    assert_eq!(e.portfolio(a).unwrap().equity, d("100000000000000000000000"), "10^13 units marked at 10^10");
    let bad = RiskProfile { universe: Some(vec!["NOPE".into()]), ..RiskProfile::default() };
    assert_eq!(e.set_risk_profile(a, bad).unwrap_err().kind, ErrorKind::InvalidRiskProfile);
}

#[test]
fn an_edited_snapshot_is_refused_not_a_panic() {
    let (mut run, a) = one_symbol(&[FLAT; 4]);
    run.submit(a, OrderRequest::limit("X", Side::Buy, d("1"), d("50"))).unwrap();
    let json = run.snapshot_json();
    let edited = json.replace("\"working\":[1]", "\"working\":[77]");
    assert_ne!(edited, json, "the snapshot names its working orders");
    let e = Run::restore_json(run.scenario().clone(), &edited).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidSnapshot);
}
