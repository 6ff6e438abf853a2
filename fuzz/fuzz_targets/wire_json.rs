//! Every JSON entry point of `wire`, picked by the first byte: orders, scenario configs, rules,
//! snapshots (as text, and re-sealed so the invariant checks see the edit), series, synthetic
//! specs, risk profiles, run options, market requests and timestamps. Each answers with a value or
//! a typed error, never a panic.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use vectrade_core::limits::MAX_BARS;
use vectrade_core::{
    AgentId, Error, ErrorKind, OrderRequest, RiskProfile, Run, RunSnapshot, Scenario, ScenarioConfig, SyntheticSpec,
    catalog, time, wire,
};

fn scenario() -> Arc<Scenario> {
    static SCENARIO: OnceLock<Arc<Scenario>> = OnceLock::new();
    SCENARIO
        .get_or_init(|| {
            let spec = SyntheticSpec { symbols: 2, bars: 40, ..SyntheticSpec::default() };
            Arc::new(catalog::synthetic(&spec).expect("a small synthetic market"))
        })
        .clone()
}

/// A run one step in, with one agent and a few orders: what a restored snapshot is compared with.
fn started_run() -> (Run, AgentId) {
    let (mut run, a) = Run::start(scenario(), "a", RiskProfile::default()).expect("a run");
    run.step(1).expect("a step");
    (run, a)
}

fn typed(e: &Error) {
    assert!(ErrorKind::from_code(e.code()).is_some(), "{e:?}");
}

fn finish(mut run: Run) {
    for k in 0..run.engine().agent_count() {
        let _ = run.portfolio(AgentId(k));
        let _ = run.metrics(AgentId(k));
    }
    let _ = run.hold_until_end(None, None);
    for k in 0..run.engine().agent_count() {
        let _ = run.results(AgentId(k)).map_err(|e| typed(&e));
        let _ = run.trades(AgentId(k));
    }
    run.engine().check_consistency().expect("a run stays consistent");
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let sc = scenario();
    match pick % 10 {
        0 => {
            if let Ok(order) = wire::from_json::<OrderRequest>("order", &text) {
                let _ = order.validate();
            }
            let (mut run, a) = started_run();
            if let Err(e) = wire::submit(&mut run, a, &text, Some("key")) {
                typed(&e);
            }
            finish(run);
        }
        1 => {
            if let Ok(config) = wire::from_json::<ScenarioConfig>("scenario config", &text)
                && let Ok(other) = sc.with_config(config)
            {
                let _ = Run::new(Arc::new(other)).map(finish);
            }
        }
        2 => {
            let symbols: Vec<String> = sc.series().iter().map(|s| s.symbol.clone()).collect();
            let _ = wire::config_from_rules(&text, &symbols, sc.timeline()).map_err(|e| typed(&e));
            if let Ok(other) = wire::with_rules(&sc, &text) {
                let other = Arc::new(other);
                if let Ok((mut run, a)) = Run::start(other, "a", RiskProfile::default()) {
                    let _ = run.step(1);
                    let _ = run.submit(a, OrderRequest::market(&symbols[0], vectrade_core::Side::Buy, 1.into()));
                    finish(run);
                }
            }
        }
        3 => {
            match Run::restore_json(sc.clone(), &text) {
                Ok(run) => finish(run),
                Err(e) => assert_eq!(e.kind, ErrorKind::InvalidSnapshot, "{e}"),
            }
            // The checksum recomputed: the invariant checks alone must stop an impossible state.
            if let Ok(snapshot) = serde_json::from_str::<RunSnapshot>(&text) {
                match Run::restore(sc, snapshot.sealed()) {
                    Ok(run) => finish(run),
                    Err(e) => assert_eq!(e.kind, ErrorKind::InvalidSnapshot, "{e}"),
                }
            }
        }
        4 => {
            let config = r#"{"slug": "f", "name": "F", "universe": ["X"], "bar_resolution": "1Hour"}"#;
            match wire::scenario_from_series(config, &text) {
                Ok(s) => {
                    let _ = Run::start(Arc::new(s), "a", RiskProfile::default()).map(|(run, _)| finish(run));
                }
                Err(e) => typed(&e),
            }
        }
        5 => {
            if let Ok(spec) = wire::from_json::<SyntheticSpec>("synthetic spec", &text) {
                let bars = spec.bars.saturating_mul(spec.symbols.saturating_add(1));
                // Small markets are built; large ones only where the limit refuses them at once.
                if bars <= 5_000 || bars > MAX_BARS {
                    let _ = catalog::synthetic(&spec).map_err(|e| typed(&e));
                }
            }
        }
        6 => {
            let (mut run, a) = started_run();
            if let Ok(profile) = wire::from_json::<RiskProfile>("risk profile", &text)
                && run.set_risk_profile(a, profile).is_ok()
            {
                let _ = run.submit(a, OrderRequest::market("SYM000", vectrade_core::Side::Buy, 1.into()));
            }
            finish(run);
        }
        7 => {
            if let Ok(options) = wire::run_options(Some(&text)) {
                let _ = Run::with_options(sc, options).map(finish);
            }
        }
        8 => {
            let (mut run, a) = started_run();
            let (lookback, list) = (usize::from(rest.first().copied().unwrap_or(1)) * 5, text.get(1..).unwrap_or(""));
            if let Ok(symbols) = serde_json::from_str::<Vec<String>>(list) {
                let _ = wire::market(&mut run, Some(a), Some(&symbols), lookback).map_err(|e| typed(&e));
            }
        }
        _ => {
            let _ = time::parse_timestamp(&text).map_err(|e| assert_eq!(e.kind, ErrorKind::InvalidTimestamp));
            let _ = wire::run::decimal(&text, "quantity").map_err(|e| typed(&e));
        }
    }
});
