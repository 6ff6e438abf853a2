//! Interrupting long loops (`interrupt`): a host's check stops a step, a signal backtest or a
//! synthetic market between bars, the run stays at a bar boundary and goes on exactly as if it had
//! never been stopped.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use vectrade_core::interrupt::CHECK_EVERY;
use vectrade_core::*;

/// A check that lets `allowed` calls pass and refuses every later one, with its call count.
fn stop_after(allowed: usize) -> (Interrupt, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let interrupt = Interrupt::new(move || {
        if seen.fetch_add(1, Ordering::SeqCst) < allowed {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::Interrupted, "stopped by the test"))
        }
    });
    (interrupt, calls)
}

fn market(bars: usize) -> Arc<Scenario> {
    let spec = SyntheticSpec { symbols: 2, bars, ..SyntheticSpec::default() };
    Arc::new(catalog::synthetic(&spec).unwrap())
}

/// A run whose agent buys at once and sells a third of the way in, so fills happen on both sides
/// of the interruption.
fn trading_run(scenario: &Arc<Scenario>) -> (Run, AgentId) {
    let (mut run, a) = Run::start(scenario.clone(), "a", RiskProfile::default()).unwrap();
    run.submit(a, OrderRequest::market("SYM000", Side::Buy, Decimal::from(10))).unwrap();
    (run, a)
}

#[test]
fn an_interrupted_step_stops_at_a_bar_boundary_and_the_run_goes_on_unchanged() {
    let scenario = market(5 * CHECK_EVERY);
    let (mut straight, a) = trading_run(&scenario);
    straight.step(u32::MAX).unwrap();

    let (mut run, b) = trading_run(&scenario);
    let (interrupt, calls) = stop_after(2);
    run.set_interrupt(Some(interrupt));
    let e = run.step(u32::MAX).unwrap_err();
    assert_eq!((e.kind, e.code()), (ErrorKind::Interrupted, "interrupted"));
    assert_eq!(calls.load(Ordering::SeqCst), 3, "asked every {CHECK_EVERY} bars, stopped at the third");
    assert_eq!(run.step_index(), 3 * CHECK_EVERY - 1, "stopped before the bar of the refused check");
    assert!(!run.is_done());
    assert_eq!(run.engine().equity_curve(b).unwrap().len(), 3 * CHECK_EVERY, "one point per bar seen");
    run.engine().check_consistency().unwrap();

    run.set_interrupt(None);
    let report = run.step(u32::MAX).unwrap();
    assert!(report.done);
    assert_eq!(report.bars_advanced as usize, 5 * CHECK_EVERY - 1 - (3 * CHECK_EVERY - 1));
    assert_eq!(run.engine().fills(b).unwrap(), straight.engine().fills(a).unwrap());
    assert_eq!(run.results(b).unwrap(), straight.results(a).unwrap());
    assert_eq!(run.snapshot_json(), straight.snapshot_json());
}

#[test]
fn a_check_that_always_passes_changes_nothing() {
    let scenario = market(3 * CHECK_EVERY);
    let (mut straight, a) = trading_run(&scenario);
    straight.hold_until_end(None, None).unwrap();
    let (mut run, b) = trading_run(&scenario);
    let (interrupt, calls) = stop_after(usize::MAX);
    run.set_interrupt(Some(interrupt));
    run.hold_until_end(None, None).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2, "bars 1024 and 2048 of 3071");
    assert_eq!(run.results(b).unwrap(), straight.results(a).unwrap());
}

#[test]
fn an_interrupted_keyed_step_is_not_remembered_under_its_key() {
    let scenario = market(3 * CHECK_EVERY);
    let (mut run, _) = trading_run(&scenario);
    run.set_interrupt(Some(stop_after(0).0));
    assert_eq!(run.step_with_key(u32::MAX, "k").unwrap_err().kind, ErrorKind::Interrupted);
    assert_eq!(run.step_index(), CHECK_EVERY - 1);
    run.set_interrupt(None);
    let report = run.step_with_key(u32::MAX, "k").unwrap();
    assert!(report.done, "the retry under the same key really steps");
    assert_eq!(run.step_with_key(u32::MAX, "k").unwrap(), report, "and that outcome is remembered");
}

#[test]
fn liquidate_and_finish_and_the_session_stepper_are_interruptible_too() {
    let scenario = market(3 * CHECK_EVERY);
    let (mut run, a) = trading_run(&scenario);
    run.step(1).unwrap();
    run.set_interrupt(Some(stop_after(0).0));
    assert_eq!(run.liquidate_and_finish(a, "done", None).unwrap_err().kind, ErrorKind::Interrupted);
    assert_eq!(run.step_index(), CHECK_EVERY - 1);
    run.set_interrupt(None);
    assert!(run.liquidate_and_finish(a, "done", None).unwrap().done);
    assert_eq!(run.portfolio(a).unwrap().positions.len(), 0, "closed through the engine");
}

#[test]
fn a_signal_backtest_is_interruptible() {
    let scenario = market(4 * CHECK_EVERY);
    let bars = 4 * CHECK_EVERY;
    let entries: Vec<bool> = (0..bars).map(|i| i % 10 == 0).collect();
    let exits: Vec<bool> = (0..bars).map(|i| i % 10 == 5).collect();
    let signals = Signals { entries, exits, ..Signals::default() };
    let size = SignalSize::Units(Decimal::ONE);
    let (interrupt, calls) = stop_after(1);
    let e = backtest_signals_interruptible(
        scenario.clone(),
        "SYM000",
        &signals,
        size,
        RunOptions::default(),
        Some(interrupt),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Interrupted);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let (passing, _) = stop_after(usize::MAX);
    let (run, a) = backtest_signals_interruptible(
        scenario.clone(),
        "SYM000",
        &signals,
        size,
        RunOptions::default(),
        Some(passing),
    )
    .unwrap();
    let (plain, b) = backtest_signals(scenario, "SYM000", &signals, size, RunOptions::default()).unwrap();
    assert_eq!(run.results(a).unwrap(), plain.results(b).unwrap());
}

#[test]
fn a_synthetic_market_is_interruptible_while_its_bars_are_made() {
    let spec = SyntheticSpec { symbols: 3, bars: 10 * CHECK_EVERY, ..SyntheticSpec::default() };
    let (interrupt, calls) = stop_after(2);
    let e = catalog::synthetic_interruptible(&spec, Some(&interrupt)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Interrupted);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let (passing, _) = stop_after(usize::MAX);
    let checked = catalog::synthetic_interruptible(&spec, Some(&passing)).unwrap();
    assert_eq!(checked.fingerprint(), catalog::synthetic(&spec).unwrap().fingerprint());
}
