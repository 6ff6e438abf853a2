//! Scenario runs (SPEC §3.6): observation, stepping, results, conveniences, several agents,
//! idempotency, snapshots, and the push-bars engine giving the same fills as a stored run.

mod common;
use common::*;
use vectrade_core::*;

fn rows(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let p = 100 + i;
            format!("{p} {} {} {p} 1000", p + 2, p - 2)
        })
        .collect()
}

fn ramp(n: usize) -> (Run, AgentId) {
    let r = rows(n);
    let refs: Vec<&str> = r.iter().map(String::as_str).collect();
    one_symbol(&refs)
}

#[test]
fn observation_stops_at_sim_time() {
    let (mut run, a) = ramp(10);
    assert_eq!(run.sim_time(), t0());
    run.step(3).unwrap();
    let view = run.market(None, 50).unwrap();
    assert_eq!(view.sim_time, t0() + 3 * HOUR);
    let bars = &view.bars[0].bars;
    assert_eq!(bars.len(), 4);
    assert_eq!(bars.last().unwrap().ts, view.sim_time, "the last bar is the one at sim_time");
    assert_eq!(run.bars("X", 2).unwrap().len(), 2);
    assert_eq!(run.market(None, 0).unwrap_err().kind, ErrorKind::InvalidLookback);
    assert_eq!(run.market(None, 1001).unwrap_err().kind, ErrorKind::InvalidLookback);
    assert_eq!(run.market(Some(&["NOPE"]), 1).unwrap_err().kind, ErrorKind::UnknownSymbol);
    let _ = a;
}

#[test]
fn step_reports_and_finishes() {
    let (mut run, a) = ramp(4);
    assert_eq!(run.results(a).unwrap_err().kind, ErrorKind::RunNotFinished);
    run.submit(a, buy("10")).unwrap();
    let s = run.step(10).unwrap();
    assert_eq!((s.bars_advanced, s.done), (3, true), "fewer bars than asked at the end");
    assert_eq!(s.new_sim_time, t0() + 3 * HOUR);
    let r = run.results(a).unwrap();
    assert_eq!(r.trade_count, 1);
    assert_eq!(r.final_equity, d("100000") - d("1010") + d("1030"));
    assert_eq!(r.per_symbol[0].unrealized_pnl, d("20"));
    assert_eq!(run.submit(a, buy("1")).unwrap_err().kind, ErrorKind::RunFinished);
}

#[test]
fn working_orders_are_cancelled_when_the_run_ends() {
    let (mut run, a) = ramp(3);
    let o = run.submit(a, OrderRequest::limit("X", Side::Buy, d("1"), d("50"))).unwrap();
    run.step(5).unwrap();
    assert_eq!(run.engine().order(a, o.id).unwrap().end_reason.as_ref().unwrap().code, "run_finished");
}

#[test]
fn hold_liquidate_and_next_session_conveniences() {
    let (mut run, a) = ramp(6);
    run.submit(a, buy("5")).unwrap();
    run.step(1).unwrap();
    assert_eq!(run.hold_until_end(None, Some(a)).unwrap_err().kind, ErrorKind::PositionsOpen);
    let s = run.liquidate_and_finish(a, "done for today", None).unwrap();
    assert!(s.done);
    let last = run.engine().fills(a).unwrap().last().unwrap().clone();
    assert_eq!((last.side, last.reasoning.as_deref()), (Side::Sell, Some("done for today")));
    assert_eq!(run.engine().account(a).unwrap().open_positions(), 0);

    let day2 = t0() + 24 * HOUR;
    let bars = vec![
        bar_at(t0(), "1 1 1 1 1"),
        bar_at(t0() + HOUR, "1 1 1 1 1"),
        bar_at(day2, "1 1 1 1 1"),
        bar_at(day2 + HOUR, "1 1 1 1 1"),
    ];
    let (mut run, _) = Run::start(scenario(config(&["X"]), vec![("X", bars)]), "a", RiskProfile::default()).unwrap();
    let s = run.advance_until_next_session(None).unwrap();
    assert_eq!((s.bars_advanced, s.new_sim_time), (2, day2));
}

#[test]
fn agents_on_one_run_are_isolated() {
    let r = rows(5);
    let refs: Vec<&str> = r.iter().map(String::as_str).collect();
    let sc = scenario(config(&["X"]), vec![("X", hourly(&refs))]);
    let mut run = Run::new(sc.clone()).unwrap();
    let a = run.add_agent("a", RiskProfile::default()).unwrap();
    let b = run.add_agent("b", RiskProfile { max_open_orders: Some(1), ..RiskProfile::default() }).unwrap();
    assert_eq!(run.add_agent("a", RiskProfile::default()).unwrap_err().kind, ErrorKind::DuplicateAgent);
    let c = run.clone_agent(b, "b2").unwrap();
    assert_eq!(run.engine().risk_profile(c).unwrap().max_open_orders, Some(1));
    run.submit(a, buy("100")).unwrap();
    run.submit(b, OrderRequest::limit("X", Side::Buy, d("1"), d("1"))).unwrap();
    let s = run.step(2).unwrap();
    assert_eq!(s.agent(a).unwrap().fills.len(), 1);
    assert!(s.agent(b).unwrap().fills.is_empty());
    assert_eq!(s.agent(c).unwrap().equity, d("100000"));
    assert_eq!(run.add_agent("late", RiskProfile::default()).unwrap_err().kind, ErrorKind::RunAlreadyStarted);
    // The same agent alone on its own run gets the very same fills.
    let (mut solo, sa) = Run::start(sc, "a", RiskProfile::default()).unwrap();
    solo.submit(sa, buy("100")).unwrap();
    solo.step(2).unwrap();
    assert_eq!(solo.engine().fills(sa).unwrap(), run.engine().fills(a).unwrap());
}

#[test]
fn reset_restores_cash_and_keeps_history() {
    let (mut run, a) = ramp(5);
    run.submit(a, buy("10")).unwrap();
    run.step(1).unwrap();
    run.submit(a, OrderRequest::limit("X", Side::Buy, d("1"), d("1"))).unwrap();
    run.reset_agent(a).unwrap();
    let p = run.portfolio(a).unwrap();
    assert_eq!((p.cash, p.positions.len()), (d("100000"), 0));
    let fills = run.engine().fills(a).unwrap();
    assert_eq!(fills.len(), 2, "history kept, plus the close of the reset");
    assert_eq!((fills[1].role, fills[1].fill_price), (OrderRole::Reset, d("101")), "closed at the last mark");
    let trades = run.trades(a).unwrap();
    assert_eq!((trades[0].status, trades[0].exits[0].exit_type), (TradeStatus::Closed, Some(ExitType::Reset)));
    assert!(run.engine().open_orders(a).unwrap().is_empty());
}

#[test]
fn idempotency_keys_replay_the_first_response_and_refuse_a_different_body() {
    let (mut run, a) = ramp(5);
    let o1 = run.submit_with_key(a, buy("1"), "k1").unwrap();
    let o2 = run.submit_with_key(a, buy("1"), "k1").unwrap();
    assert_eq!(o1, o2);
    assert_eq!(run.engine().orders(a).unwrap().len(), 1, "nothing done twice");
    assert_eq!(run.submit_with_key(a, buy("2"), "k1").unwrap_err().kind, ErrorKind::IdempotencyConflict);
    let s1 = run.step_with_key(1, "s1").unwrap();
    let s2 = run.step_with_key(1, "s1").unwrap();
    assert_eq!(s1, s2);
    assert_eq!(run.sim_time(), t0() + HOUR, "the retried step did not advance again");
    assert_eq!(run.step_with_key(2, "s1").unwrap_err().kind, ErrorKind::IdempotencyConflict);
    // A failed first attempt is replayed as the same failure.
    let e1 = run.submit_with_key(a, sell("100"), "k2").unwrap_err();
    assert_eq!(run.submit_with_key(a, sell("100"), "k2").unwrap_err(), e1);
}

#[test]
fn snapshots_restore_only_onto_their_scenario() {
    let (mut run, a) = ramp(8);
    run.submit(a, buy("3")).unwrap();
    run.step(2).unwrap();
    let json = run.snapshot_json();
    let mut restored = Run::restore_json(run.scenario().clone(), &json).unwrap();
    assert_eq!(restored.market(None, 5).unwrap(), run.market(None, 5).unwrap());
    assert_eq!(restored.step(3).unwrap(), run.step(3).unwrap());
    let (other, _) = ramp(9);
    let e = Run::restore_json(other.scenario().clone(), &json).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidSnapshot);
    assert_eq!(Run::restore_json(run.scenario().clone(), "{").unwrap_err().kind, ErrorKind::InvalidSnapshot);
}

#[test]
fn pushed_bars_fill_exactly_like_a_stored_run() {
    let r = rows(6);
    let refs: Vec<&str> = r.iter().map(String::as_str).collect();
    let bars = hourly(&refs);
    let sc = scenario(config(&["X"]), vec![("X", bars.clone())]);
    let (mut run, a) = Run::start(sc.clone(), "a", RiskProfile::default()).unwrap();

    let mut live = Engine::new(EngineConfig::from_scenario(sc.config())).unwrap();
    let la = live.add_agent("a", RiskProfile::default()).unwrap();
    let mut early = live.clone();
    assert_eq!(early.submit(la, buy("1")).unwrap_err().kind, ErrorKind::NoMarketData, "nothing to price it with yet");
    live.push_bar("X", bars[0]).unwrap();
    for (i, bar) in bars.iter().enumerate().skip(1) {
        if i % 2 == 1 {
            run.submit(a, buy("2").with_stop_loss(d("90"))).unwrap();
            live.submit(la, buy("2").with_stop_loss(d("90"))).unwrap();
        }
        run.step(1).unwrap();
        live.push_bar("X", *bar).unwrap();
    }
    // The run cancels working orders at its end; the live engine keeps them working.
    let fills_run = run.engine().fills(a).unwrap();
    assert_eq!(fills_run, live.fills(la).unwrap());
    assert_eq!(run.engine().equity_curve(a).unwrap(), live.equity_curve(la).unwrap());
    assert_eq!(live.push_bar("X", bars[2]).unwrap_err().kind, ErrorKind::OutOfOrderBar);
}

#[test]
fn unknown_agents_and_bad_profiles_are_named() {
    let (mut run, _) = ramp(3);
    let e = run.submit(AgentId(7), buy("1")).unwrap_err();
    assert_eq!((e.kind, e.detail.as_str()), (ErrorKind::UnknownAgent, "no agent with id 7"));
    assert_eq!(run.engine().agent_id("nobody").unwrap_err().kind, ErrorKind::UnknownAgent);
    let bad = RiskProfile { universe: Some(vec!["NOPE".into()]), ..RiskProfile::default() };
    let e = run.add_agent("b", bad).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidRiskProfile);
    assert_eq!(e.detail, "risk profile universe names 'NOPE', which is not in the scenario's universe");
}

#[test]
fn a_feed_may_push_the_symbols_of_one_timestamp_one_at_a_time() {
    let c = config(&["X", "Y"]);
    let mut e = Engine::new(EngineConfig::from_scenario(&c)).unwrap();
    let a = e.add_agent("a", RiskProfile::default()).unwrap();
    e.push_bar("X", bar_at(t0(), "10 10 10 10 100")).unwrap();
    e.push_bar("Y", bar_at(t0(), "20 20 20 20 100")).unwrap();
    e.submit(a, OrderRequest::market("Y", Side::Buy, d("1"))).unwrap();
    e.push_bar("X", bar_at(t0() + HOUR, "11 11 11 11 100")).unwrap();
    let fills = e.push_bar("Y", bar_at(t0() + HOUR, "21 22 20 22 100")).unwrap();
    assert_eq!(fills[0].1[0].fill_price, d("21"));
    let curve = e.equity_curve(a).unwrap();
    assert_eq!(curve.len(), 2, "one point per timestamp");
    assert_eq!(curve[1].equity, d("100001"), "marked after both symbols' bars");
    let again = e.push_bar("X", bar_at(t0() + HOUR, "11 11 11 11 100")).unwrap_err();
    assert_eq!(again.kind, ErrorKind::OutOfOrderBar);
    assert_eq!(e.push_bar("Y", bar_at(t0(), "20 20 20 20 100")).unwrap_err().kind, ErrorKind::OutOfOrderBar);
}

/// A run of `ramp(n)`'s bars under `close_at_end`, agent "a".
fn closing_ramp(n: usize, close_at_end: bool) -> (Run, AgentId) {
    let r = rows(n);
    let refs: Vec<&str> = r.iter().map(String::as_str).collect();
    let sc = scenario(config(&["X"]), vec![("X", hourly(&refs))]);
    let options = RunOptions { close_at_end, ..RunOptions::default() };
    let mut run = Run::with_options(sc, options).unwrap();
    let a = run.add_agent("a", RiskProfile::default()).unwrap();
    (run, a)
}

#[test]
fn close_at_end_closes_every_position_at_the_last_bars_open() {
    let (mut open, a) = closing_ramp(6, false);
    open.submit(a, buy("3")).unwrap();
    open.hold_until_end(None, None).unwrap();
    assert_eq!(open.portfolio(a).unwrap().positions.len(), 1, "without the option the position stays open");

    let (mut run, a) = closing_ramp(6, true);
    run.submit(a, buy("3")).unwrap();
    run.step(4).unwrap();
    // An entry decided at the last bar but one is cancelled: nothing opens at the very end.
    let late = run.submit(a, buy("1")).unwrap();
    let report = run.step(u32::MAX).unwrap();
    assert!(report.done);
    let last = *run.scenario().series()[0].bars.last().unwrap();
    assert_eq!(fills(&run, a), vec![(d("3"), d("101"), t0() + HOUR), (d("3"), last.open, last.ts)]);
    assert!(run.portfolio(a).unwrap().positions.iter().all(|p| p.quantity.is_zero()));
    let closing = run.engine().orders(a).unwrap().last().unwrap().clone();
    assert_eq!(closing.request.reasoning.as_deref(), Some(run::CLOSE_AT_END_REASONING));
    assert_eq!(run.engine().order(a, late.id).unwrap().status, OrderStatus::Cancelled);
    let trades = run.trades(a).unwrap();
    assert_eq!((trades.len(), trades[0].status), (1, TradeStatus::Closed));
    assert_eq!(run.results(a).unwrap().final_equity, run.portfolio(a).unwrap().cash);
}

#[test]
fn close_at_end_survives_a_snapshot_and_leaves_other_snapshots_unchanged() {
    let (mut plain, _) = closing_ramp(6, false);
    plain.step(1).unwrap();
    assert!(!plain.snapshot_json().contains("close_at_end"), "the text of runs without it is as before");

    let (mut run, a) = closing_ramp(6, true);
    run.submit(a, buy("2")).unwrap();
    run.step(2).unwrap();
    let mut restored = Run::restore_json(run.scenario().clone(), &run.snapshot_json()).unwrap();
    run.step(u32::MAX).unwrap();
    restored.step(u32::MAX).unwrap();
    assert_eq!(fills(&restored, a), fills(&run, a));
    assert_eq!(fills(&run, a).len(), 2, "closed at the end in both");
}

#[test]
fn fills_and_trades_carry_their_bar_index_beside_their_time() {
    // Two symbols on different bar times: the bar index is the run's timeline step.
    let x = hourly(&["100 102 98 100 1000", "101 103 99 101 1000", "102 104 100 102 1000", "103 105 101 103 1000"]);
    let y = vec![bar_at(t0() + HOUR / 2, "50 51 49 50 1000"), bar_at(t0() + 2 * HOUR + HOUR / 2, "52 53 51 52 1000")];
    let sc = scenario(config(&["X", "Y"]), vec![("X", x), ("Y", y)]);
    let (mut run, a) = Run::start(sc.clone(), "a", RiskProfile::default()).unwrap();
    run.submit(a, buy("2")).unwrap();
    run.step(3).unwrap();
    run.submit(a, OrderRequest::market("Y", Side::Buy, d("1"))).unwrap();
    run.submit(a, sell("2")).unwrap();
    run.step(u32::MAX).unwrap();
    let timeline = sc.timeline();
    let fills = run.engine().fills(a).unwrap();
    // Timeline: X0, Y0, X1, X2, Y1, X3. The buy at X0 fills at X1 (step 2); at X2 (step 3) the Y
    // buy fills at Y1 (step 4) and the X sell at X3 (step 5).
    let indices: Vec<(&str, usize)> = fills.iter().map(|f| (f.symbol.as_str(), f.bar_index)).collect();
    assert_eq!(indices, [("X", 2), ("Y", 4), ("X", 5)]);
    assert!(fills.iter().all(|f| timeline[f.bar_index] == f.ts));
    let trades = run.trades(a).unwrap();
    assert_eq!((trades[0].opened_bar_index, trades[0].closed_bar_index), (2, Some(5)));
    assert_eq!(trades[0].exits[0].bar_index, 5);
    assert_eq!((trades[1].opened_bar_index, trades[1].closed_bar_index), (4, None));
}

#[test]
fn pushed_bars_count_bar_times_not_symbols() {
    let sc = scenario(config(&["X", "Y"]), vec![("X", hourly(&["10 10 10 10 1"])), ("Y", hourly(&["10 10 10 10 1"]))]);
    let mut engine = Engine::new(EngineConfig::from_scenario(sc.config())).unwrap();
    let a = engine.add_agent("a", RiskProfile::default()).unwrap();
    engine.push_bar("X", bar_at(t0(), "10 10 10 10 100")).unwrap();
    engine.push_bar("Y", bar_at(t0(), "10 10 10 10 100")).unwrap();
    assert_eq!(engine.bar_index(), 0, "two symbols of one time are one bar time");
    engine.submit(a, OrderRequest::market("Y", Side::Buy, d("1"))).unwrap();
    engine.push_bar("X", bar_at(t0() + HOUR, "10 10 10 10 100")).unwrap();
    engine.push_bar("Y", bar_at(t0() + HOUR, "11 11 11 11 100")).unwrap();
    assert_eq!(engine.bar_index(), 1);
    assert_eq!(engine.fills(a).unwrap()[0].bar_index, 1);
}
