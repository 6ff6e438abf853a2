//! Runs every golden vector in `tests/vectors/*.json` through the Rust API and compares fills,
//! orders, equity curve digest and metrics with the recorded expectations. The format is in
//! `tests/vectors/README.md`; every binding's suite runs the same files through its own API.
//!
//! `VECTRADE_BLESS=1 cargo test --test vectors` rewrites the `expected` sections (review the diff:
//! a vector never changes to make a test pass without a written reason in the commit).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use vectrade_core::time::{format_rfc3339, parse_timestamp};
use vectrade_core::*;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

/// Decimals in vectors: plain notation, no exponent, no trailing fractional zeros.
fn canon(d: Decimal) -> String {
    d.normalize().to_string()
}

fn scenario_of(spec: &Value) -> Arc<Scenario> {
    if let Some(slug) = spec.get("builtin").and_then(Value::as_str) {
        return Arc::new(catalog::get(slug).unwrap());
    }
    let config: ScenarioConfig = serde_json::from_value(spec["config"].clone()).expect("scenario.config");
    let series = spec["bars"]
        .as_object()
        .expect("scenario.bars")
        .iter()
        .map(|(symbol, rows)| Series {
            symbol: symbol.clone(),
            bars: rows
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    let f = |i: usize| r[i].as_str().unwrap().parse::<Decimal>().unwrap();
                    Bar {
                        ts: parse_timestamp(r[0].as_str().unwrap()).unwrap(),
                        open: f(1),
                        high: f(2),
                        low: f(3),
                        close: f(4),
                        volume: f(5),
                    }
                })
                .collect(),
        })
        .collect();
    Arc::new(Scenario::new(config, series).unwrap())
}

fn agent(run: &Run, v: &Value) -> AgentId {
    run.engine().agent_id(v["agent"].as_str().expect("action.agent")).unwrap()
}

/// Applies one action; returns the error code if it failed.
fn apply(run: &mut Run, action: &Value) -> Option<String> {
    let (name, body) = action.as_object().unwrap().iter().find(|(k, _)| *k != "expect_error").expect("an action");
    let key = body.get("idempotency_key").and_then(Value::as_str);
    let max_bars = body.get("max_bars").and_then(Value::as_u64).map(|m| m as u32);
    let result: Result<()> = match name.as_str() {
        "submit" => {
            let a = agent(run, body);
            let order: OrderRequest = serde_json::from_value(body["order"].clone()).expect("submit.order");
            match key {
                Some(k) => run.submit_with_key(a, order, k).map(drop),
                None => run.submit(a, order).map(drop),
            }
        }
        "cancel" => {
            let a = agent(run, body);
            run.cancel(a, body["order_id"].as_u64().unwrap()).map(drop)
        }
        "step" => {
            let count = body.get("count").and_then(Value::as_u64).unwrap_or(1) as u32;
            match key {
                Some(k) => run.step_with_key(count, k).map(drop),
                None => run.step(count).map(drop),
            }
        }
        "hold_until_end" => run.hold_until_end(max_bars, None).map(drop),
        "liquidate_and_finish" => {
            let a = agent(run, body);
            run.liquidate_and_finish(a, body["rationale"].as_str().unwrap_or(""), max_bars).map(drop)
        }
        "advance_until_next_session" => run.advance_until_next_session(max_bars).map(drop),
        "reset_agent" => {
            let a = agent(run, body);
            run.reset_agent(a)
        }
        "snapshot_restore" => {
            let json = run.snapshot_json();
            *run = Run::restore_json(run.scenario().clone(), &json).unwrap();
            Ok(())
        }
        other => panic!("unknown action '{other}'"),
    };
    result.err().map(|e| e.code().to_string())
}

fn equity_digest(curve: &[EquityPoint]) -> String {
    let mut h = Sha256::new();
    for p in curve {
        h.update(format!("{},{}\n", p.ts, canon(p.equity)).as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn observed(run: &Run) -> Value {
    let mut agents = serde_json::Map::new();
    for k in 0..run.engine().agent_count() {
        let a = AgentId(k);
        let e = run.engine();
        let fills: Vec<Value> = e
            .fills(a)
            .unwrap()
            .iter()
            .map(|f| {
                json!({
                    "ts": format_rfc3339(f.ts), "order_id": f.order_id, "symbol": f.symbol, "side": f.side,
                    "quantity": canon(f.quantity), "fill_price": canon(f.fill_price),
                    "slippage_bps": canon(f.slippage_bps), "commission": canon(f.commission), "role": f.role,
                })
            })
            .collect();
        let orders: Vec<Value> = e
            .orders(a)
            .unwrap()
            .iter()
            .map(|o| {
                json!({
                    "id": o.id, "status": o.status, "filled_quantity": canon(o.filled_quantity),
                    "end_reason": o.end_reason.as_ref().map(|r| r.code.clone()),
                })
            })
            .collect();
        let curve = e.equity_curve(a).unwrap();
        let mut entry = json!({
            "fills": fills,
            "orders": orders,
            "final_equity": canon(curve.last().unwrap().equity),
            "equity_points": curve.len(),
            "equity_curve_sha256": equity_digest(curve),
            "status": e.status(a).unwrap(),
        });
        if let Ok(r) = run.results(a) {
            let mut metrics = serde_json::to_value(&r.metrics).unwrap();
            // Money metrics are decimals: canonical like every other decimal of a vector.
            for (_, v) in metrics.as_object_mut().unwrap().iter_mut() {
                if let Some(text) = v.as_str() {
                    *v = json!(canon(text.parse::<Decimal>().unwrap()));
                }
            }
            entry["results"] = metrics;
        }
        agents.insert(e.agent_name(a).unwrap().to_string(), entry);
    }
    json!({ "sim_time": format_rfc3339(run.sim_time()), "done": run.is_done(), "agents": agents })
}

fn run_vector(path: &Path) -> (Value, Value) {
    let text = std::fs::read_to_string(path).unwrap();
    let vector: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let sc = scenario_of(&vector["scenario"]);
    let options: RunOptions = serde_json::from_value(vector.get("options").cloned().unwrap_or(json!({}))).unwrap();
    let mut run = Run::with_options(sc, options).unwrap();
    for a in vector["agents"].as_array().expect("agents") {
        let risk: RiskProfile = serde_json::from_value(a.get("risk").cloned().unwrap_or(json!({}))).unwrap();
        run.add_agent(a["name"].as_str().unwrap(), risk).unwrap();
    }
    for (i, action) in vector["actions"].as_array().expect("actions").iter().enumerate() {
        let got = apply(&mut run, action);
        let want = action.get("expect_error").and_then(Value::as_str).map(String::from);
        assert_eq!(got, want, "{}: action {i} {action}", path.display());
    }
    (vector, observed(&run))
}

#[test]
fn golden_vectors() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(vectors_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 6, "expected the golden vectors in {}", vectors_dir().display());
    let bless = std::env::var_os("VECTRADE_BLESS").is_some();
    let mut failures = BTreeMap::new();
    for path in &paths {
        let (mut vector, got) = run_vector(path);
        if bless {
            vector["expected"] = got;
            std::fs::write(path, serde_json::to_string_pretty(&vector).unwrap() + "\n").unwrap();
        } else if vector["expected"] != got {
            failures.insert(path.display().to_string(), first_difference(&vector["expected"], &got, String::new()));
        }
    }
    assert!(failures.is_empty(), "vectors differ:\n{failures:#?}");
}

fn first_difference(want: &Value, got: &Value, at: String) -> String {
    match (want, got) {
        (Value::Object(a), Value::Object(b)) => {
            for k in a.keys().chain(b.keys()) {
                if a.get(k) != b.get(k) {
                    return first_difference(
                        a.get(k).unwrap_or(&Value::Null),
                        b.get(k).unwrap_or(&Value::Null),
                        format!("{at}.{k}"),
                    );
                }
            }
            at
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                if x != y {
                    return first_difference(x, y, format!("{at}[{i}]"));
                }
            }
            at
        }
        _ => format!("{at}: expected {want}, got {got}"),
    }
}
