//! The native addon under `@vectrade/sdk`: the engine for Node. Conversion only — structured values
//! cross as the JSON of `vectrade_core::wire` (decimals as strings, so money is never a float),
//! bulk data as typed arrays, and every engine error is thrown as a JavaScript `Error` whose `code`
//! is the engine's stable code and whose message is its detail. The TypeScript layer (`sdk-ts/`)
//! turns those into typed objects and `VecTradeError` subclasses.

use std::any::Any;
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

use napi::bindgen_prelude::{Float64Array, FnArgs, Function, JsObjectValue, Uint8Array, Uint32Array, Unknown};
use napi::{Env, JsValue, Result, Status, ValueType};
use napi_derive::napi;
use vectrade_core::reveal;
use vectrade_core::wire::{self, Columns};
use vectrade_core::{AgentId, Error, ErrorKind, Run, Scenario, catalog, csv};

pub mod signals;

/// A run's histories are megabytes; mimalloc keeps them for the next run (see the workspace's
/// Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The code of a panic caught at the boundary (`InternalError` in TypeScript).
const INTERNAL: &str = vectrade_core::error::INTERNAL_ERROR_CODE;

/// Runs the body of an exported call with the last guard of the boundary: a panic of the core
/// becomes an `internal_error` thrown to JavaScript instead of aborting the process (a panic
/// cannot unwind through Node's C frames). The release profile keeps `panic = "unwind"` for this.
/// A run a panic left mid-change is not to be trusted; its `RefCell` borrow is released on unwind.
fn guard<T>(call: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    panic::catch_unwind(AssertUnwindSafe(call))
        .unwrap_or_else(|payload| Err(napi::Error::new(INTERNAL.to_string(), panicked(payload.as_ref()))))
}

/// The message of a caught panic.
fn panicked(payload: &(dyn Any + Send)) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string());
    format!("the engine panicked ({what}); this is a bug of VecTrade, please report it with the call that caused it")
}

/// A text argument. Text parameters arrive as `Unknown` so that a value of another type is
/// `invalid_argument` naming the argument (napi's own conversion throws `StringExpected`, naming
/// neither the argument nor a code of the engine's).
fn arg_text(v: Unknown<'_>, name: &str) -> Result<String, String> {
    match v.get_type() {
        // SAFETY: the value was just found to be a string.
        Ok(ValueType::String) => unsafe { v.cast::<String>() }.map_err(|e| argument(format!("`{name}`: {}", e.reason))),
        Ok(other) => Err(argument(format!("`{name}` must be a string, got {}", kind(other)))),
        Err(e) => Err(argument(format!("`{name}`: {}", e.reason))),
    }
}

/// An optional text argument: `undefined` and `null` are left out.
fn opt_arg_text(v: Option<Unknown<'_>>, name: &str) -> Result<Option<String>, String> {
    match v {
        Some(v) if !matches!(v.get_type(), Ok(ValueType::Undefined | ValueType::Null)) => arg_text(v, name).map(Some),
        _ => Ok(None),
    }
}

/// An array of strings (symbols).
fn arg_texts(v: Unknown<'_>, name: &str) -> Result<Vec<String>, String> {
    if !v.is_array().unwrap_or(false) {
        let got = v.get_type().map(kind).unwrap_or("an unknown value");
        return Err(argument(format!("`{name}` must be an array of strings, got {got}")));
    }
    // SAFETY: the value was just found to be an array.
    let items = unsafe { v.cast::<Vec<Unknown<'_>>>() }.map_err(|e| argument(format!("`{name}`: {}", e.reason)))?;
    items.into_iter().enumerate().map(|(i, s)| arg_text(s, &format!("{name}[{i}]"))).collect()
}

/// A count (bars, lookback): an integer from 0 to 2^32 - 1, never wrapped or truncated (napi's u32
/// conversion reads -1 as 4294967295 and 2.7 as 2).
fn arg_count(v: f64, name: &str) -> Result<u32, String> {
    if v.fract() != 0.0 || !v.is_finite() {
        return Err(argument(format!("`{name}` must be an integer, got {v}")));
    }
    if !(0.0..=f64::from(u32::MAX)).contains(&v) {
        return Err(argument(format!("`{name}` must be an integer from 0 to {}, got {v}", u32::MAX)));
    }
    Ok(v as u32)
}

fn argument(detail: String) -> napi::Error<String> {
    js(Error::new(ErrorKind::InvalidArgument, detail))
}

fn kind(t: ValueType) -> &'static str {
    match t {
        ValueType::Undefined => "undefined",
        ValueType::Null => "null",
        ValueType::Boolean => "a boolean",
        ValueType::Number => "a number",
        ValueType::String => "a string",
        ValueType::Symbol => "a symbol",
        ValueType::Object => "an object",
        ValueType::Function => "a function",
        ValueType::External => "an external value",
        ValueType::BigInt => "a bigint",
        _ => "an unknown value",
    }
}

/// An engine error as a JavaScript `Error` whose `code` is the engine's stable code (every
/// `Result<_, String>` of this addon carries one).
fn js(e: Error) -> napi::Error<String> {
    napi::Error::new(e.code().to_string(), e.detail)
}

fn ok<T>(r: vectrade_core::Result<T>) -> Result<T, String> {
    r.map_err(js)
}

fn agent(id: u32) -> AgentId {
    AgentId(id as usize)
}

/// A JavaScript number that must be an integer (times in milliseconds, counts).
fn integer(v: f64, what: &str) -> Result<i64, String> {
    ok(wire::data::integer(v, what))
}

/// An immutable scenario (config and bars), shared by every run started on it.
#[napi(js_name = "Scenario")]
pub struct JsScenario {
    inner: Arc<Scenario>,
}

/// One symbol's bars as columns: times in UTC milliseconds, then prices and volumes as floats.
#[napi(object)]
pub struct ColumnsInput {
    pub symbol: String,
    pub ts: Float64Array,
    pub open: Float64Array,
    pub high: Float64Array,
    pub low: Float64Array,
    pub close: Float64Array,
    pub volume: Float64Array,
}

#[napi]
impl JsScenario {
    /// A built-in scenario by slug.
    #[napi(factory)]
    pub fn builtin(#[napi(ts_arg_type = "string")] slug: Unknown<'_>) -> Result<Self, String> {
        let slug = arg_text(slug, "slug")?;
        guard(|| Ok(JsScenario { inner: Arc::new(ok(catalog::get(&slug))?) }))
    }

    /// A synthetic market (JSON of the core's `SyntheticSpec`).
    #[napi(factory)]
    pub fn synthetic(#[napi(ts_arg_type = "string")] spec_json: Unknown<'_>) -> Result<Self, String> {
        let spec_json = arg_text(spec_json, "specJson")?;
        guard(|| Ok(JsScenario { inner: Arc::new(ok(wire::synthetic(&spec_json))?) }))
    }

    /// The same bars under other rules (JSON of the core's `Rules`; see `wire::with_rules`).
    #[napi]
    pub fn with_rules(&self, #[napi(ts_arg_type = "string")] rules_json: Unknown<'_>) -> Result<JsScenario, String> {
        let rules_json = arg_text(rules_json, "rulesJson")?;
        guard(|| Ok(JsScenario { inner: Arc::new(ok(wire::with_rules(&self.inner, &rules_json))?) }))
    }

    /// A scenario from a config (JSON) and series (JSON list of `{symbol, bars}`).
    #[napi(factory)]
    pub fn from_series(
        #[napi(ts_arg_type = "string")] config_json: Unknown<'_>,
        #[napi(ts_arg_type = "string")] series_json: Unknown<'_>,
    ) -> Result<Self, String> {
        let config_json = arg_text(config_json, "configJson")?;
        let series_json = arg_text(series_json, "seriesJson")?;
        guard(|| Ok(JsScenario { inner: Arc::new(ok(wire::scenario_from_series(&config_json, &series_json))?) }))
    }

    /// A scenario from a config (JSON) and float columns per symbol; each float becomes the decimal
    /// of its shortest representation (`101.3` stays `101.3`).
    #[napi(factory)]
    pub fn from_columns(
        #[napi(ts_arg_type = "string")] config_json: Unknown<'_>,
        columns: Vec<ColumnsInput>,
    ) -> Result<Self, String> {
        let config_json = arg_text(config_json, "configJson")?;
        guard(|| {
            let mut cols = Vec::with_capacity(columns.len());
            for c in columns {
                let ts: Result<Vec<i64>, String> =
                    c.ts.iter().map(|&t| integer(t, &format!("{}: bar times (ms)", c.symbol))).collect();
                let ohlcv = [c.open.to_vec(), c.high.to_vec(), c.low.to_vec(), c.close.to_vec(), c.volume.to_vec()];
                cols.push(Columns { symbol: c.symbol, ts: ts?, ohlcv });
            }
            Ok(JsScenario { inner: Arc::new(ok(wire::scenario_from_columns(&config_json, cols))?) })
        })
    }

    /// The hosted API's scenario object, JSON.
    #[napi]
    pub fn info_json(&self) -> Result<String, String> {
        guard(|| Ok(wire::to_json(&self.inner.info())))
    }

    /// Every series, JSON list of `{symbol, bars}`.
    #[napi]
    pub fn series_json(&self) -> Result<String, String> {
        guard(|| Ok(wire::to_json(&self.inner.series())))
    }

    /// Digest of the config and every bar, hex: equal fingerprints, equal markets.
    #[napi]
    pub fn fingerprint(&self) -> Result<String, String> {
        guard(|| Ok(format!("{:016x}", self.inner.fingerprint())))
    }

    /// Index of a symbol's series (throws `unknown_symbol` listing the symbols).
    #[napi]
    pub fn series_index(&self, #[napi(ts_arg_type = "string")] symbol: Unknown<'_>) -> Result<u32, String> {
        let symbol = arg_text(symbol, "symbol")?;
        guard(|| Ok(ok(self.inner.series_index(&symbol))? as u32))
    }

    /// The scenario's timeline (every bar time of any symbol), UTC milliseconds.
    #[napi]
    pub fn timeline(&self) -> Result<Float64Array, String> {
        guard(|| Ok(Float64Array::new(self.inner.timeline().iter().map(|&t| t as f64).collect())))
    }

    /// For each step of the timeline, how many bars of series `index` are visible: what reveals a
    /// precomputed indicator bar by bar.
    #[napi]
    pub fn visible_counts(&self, index: u32) -> Result<Uint32Array, String> {
        guard(|| Ok(Uint32Array::new(ok(wire::data::visible_counts(&self.inner, index as usize))?)))
    }

    /// One field (`ts`, `open`, `high`, `low`, `close` or `volume`) of every bar of series
    /// `index`, future bars included, as floats — for precomputing causal indicators.
    #[napi]
    pub fn column(
        &self,
        index: u32,
        #[napi(ts_arg_type = "string")] field: Unknown<'_>,
    ) -> Result<Float64Array, String> {
        let field = arg_text(field, "field")?;
        guard(|| Ok(Float64Array::new(ok(wire::data::column(&self.inner, index as usize, &field))?)))
    }
}

/// The equity curve as columns (floats for analysis and plots; `equityCurveJson` is exact).
#[napi(object)]
pub struct EquityColumns {
    pub ts: Float64Array,
    pub equity: Float64Array,
    pub gross_exposure: Float64Array,
    /// Drawdown at each point as the metrics define it (a fraction).
    pub drawdown: Float64Array,
}

/// A run over a scenario: agents, orders, steps, results.
#[napi(js_name = "Run")]
pub struct JsRun {
    // Methods take `&self` and borrow the run inside: a strategy called from `drive` may call
    // back into the same run (to place an order) while the loop is running.
    inner: RefCell<Run>,
}

#[napi]
impl JsRun {
    /// A run of `scenario`; `optionsJson` holds the core's `RunOptions` (e.g. the intrabar path).
    #[napi(constructor)]
    pub fn new(
        scenario: &JsScenario,
        #[napi(ts_arg_type = "string | undefined | null")] options_json: Option<Unknown<'_>>,
    ) -> Result<Self, String> {
        let options_json = options_json.map(|v| arg_text(v, "optionsJson")).transpose()?;
        guard(|| {
            let options = ok(wire::run_options(options_json.as_deref()))?;
            Ok(JsRun { inner: RefCell::new(ok(Run::with_options(scenario.inner.clone(), options))?) })
        })
    }

    /// Adds an agent with a risk profile (JSON); returns its id.
    #[napi]
    pub fn add_agent(
        &self,
        #[napi(ts_arg_type = "string")] name: Unknown<'_>,
        #[napi(ts_arg_type = "string")] risk_json: Unknown<'_>,
    ) -> Result<u32, String> {
        let name = arg_text(name, "name")?;
        let risk_json = arg_text(risk_json, "riskJson")?;
        guard(|| {
            let profile = ok(wire::from_json("risk profile", &risk_json))?;
            Ok(ok(self.inner.borrow_mut().add_agent(&name, profile))?.0 as u32)
        })
    }

    #[napi]
    pub fn clone_agent(&self, id: u32, #[napi(ts_arg_type = "string")] name: Unknown<'_>) -> Result<u32, String> {
        let name = arg_text(name, "name")?;
        guard(|| Ok(ok(self.inner.borrow_mut().clone_agent(agent(id), &name))?.0 as u32))
    }

    #[napi]
    pub fn reset_agent(&self, id: u32) -> Result<(), String> {
        guard(|| ok(self.inner.borrow_mut().reset_agent(agent(id))))
    }

    #[napi]
    pub fn set_risk_profile(
        &self,
        id: u32,
        #[napi(ts_arg_type = "string")] risk_json: Unknown<'_>,
    ) -> Result<(), String> {
        let risk_json = arg_text(risk_json, "riskJson")?;
        guard(|| {
            let profile = ok(wire::from_json("risk profile", &risk_json))?;
            ok(self.inner.borrow_mut().set_risk_profile(agent(id), profile))
        })
    }

    #[napi]
    pub fn agent_names(&self) -> Result<Vec<String>, String> {
        guard(|| {
            let run = self.inner.borrow();
            let e = run.engine();
            (0..e.agent_count()).map(|k| ok(e.agent_name(AgentId(k)).map(String::from))).collect()
        })
    }

    #[napi]
    pub fn risk_profile_json(&self, id: u32) -> Result<String, String> {
        guard(|| ok(wire::run::risk_profile(&self.inner.borrow(), agent(id))))
    }

    /// Queues an order (JSON `OrderRequest`); returns the order, JSON.
    #[napi]
    pub fn submit(
        &self,
        id: u32,
        #[napi(ts_arg_type = "string")] order_json: Unknown<'_>,
        #[napi(ts_arg_type = "string | undefined | null")] idempotency_key: Option<Unknown<'_>>,
    ) -> Result<String, String> {
        let order_json = arg_text(order_json, "orderJson")?;
        let idempotency_key = idempotency_key.map(|v| arg_text(v, "idempotencyKey")).transpose()?;
        guard(|| ok(wire::submit(&mut self.inner.borrow_mut(), agent(id), &order_json, idempotency_key.as_deref())))
    }

    /// The callback API's fast path: a market order, or a limit order with `limit`, on series
    /// `index`; returns the order id.
    #[napi]
    pub fn submit_simple(
        &self,
        id: u32,
        index: u32,
        #[napi(ts_arg_type = "string")] side: Unknown<'_>,
        #[napi(ts_arg_type = "string")] quantity: Unknown<'_>,
        #[napi(ts_arg_type = "string | undefined | null")] limit: Option<Unknown<'_>>,
    ) -> Result<i64, String> {
        let side = arg_text(side, "side")?;
        let quantity = arg_text(quantity, "quantity")?;
        let limit = limit.map(|v| arg_text(v, "limit")).transpose()?;
        guard(|| {
            let quantity = ok(wire::run::decimal(&quantity, "quantity"))?;
            let limit = limit.as_deref().map(|l| ok(wire::run::decimal(l, "limit"))).transpose()?;
            let run = &mut self.inner.borrow_mut();
            Ok(ok(wire::run::submit_simple(run, agent(id), index as usize, &side, quantity, limit))? as i64)
        })
    }

    #[napi]
    pub fn cancel(
        &self,
        id: u32,
        order_id: f64,
        #[napi(ts_arg_type = "string | undefined | null")] idempotency_key: Option<Unknown<'_>>,
    ) -> Result<String, String> {
        let idempotency_key = idempotency_key.map(|v| arg_text(v, "idempotencyKey")).transpose()?;
        guard(|| {
            let order_id = ok(wire::data::order_id(order_id))?;
            ok(wire::cancel(&mut self.inner.borrow_mut(), agent(id), order_id, idempotency_key.as_deref()))
        })
    }

    /// Advances up to `count` bars; returns the step report, JSON.
    #[napi]
    pub fn step(
        &self,
        count: f64,
        #[napi(ts_arg_type = "string | undefined | null")] idempotency_key: Option<Unknown<'_>>,
    ) -> Result<String, String> {
        let count = arg_count(count, "count")?;
        let idempotency_key = idempotency_key.map(|v| arg_text(v, "idempotencyKey")).transpose()?;
        guard(|| ok(wire::step(&mut self.inner.borrow_mut(), count, idempotency_key.as_deref())))
    }

    /// Advances up to `count` bars without a report; returns bars advanced.
    #[napi]
    pub fn advance(&self, count: f64) -> Result<u32, String> {
        let count = arg_count(count, "count")?;
        guard(|| ok(self.inner.borrow_mut().advance(count)))
    }

    #[napi]
    pub fn hold_until_end(&self, max_bars: Option<f64>, require_flat: Option<u32>) -> Result<String, String> {
        let max_bars = max_bars.map(|v| arg_count(v, "maxBars")).transpose()?;
        guard(|| ok(wire::run::hold_until_end(&mut self.inner.borrow_mut(), max_bars, require_flat.map(agent))))
    }

    #[napi]
    pub fn liquidate_and_finish(
        &self,
        id: u32,
        #[napi(ts_arg_type = "string")] rationale: Unknown<'_>,
        max_bars: Option<f64>,
    ) -> Result<String, String> {
        let rationale = arg_text(rationale, "rationale")?;
        let max_bars = max_bars.map(|v| arg_count(v, "maxBars")).transpose()?;
        guard(|| ok(wire::run::liquidate_and_finish(&mut self.inner.borrow_mut(), agent(id), &rationale, max_bars)))
    }

    #[napi]
    pub fn advance_until_next_session(&self, max_bars: Option<f64>) -> Result<String, String> {
        let max_bars = max_bars.map(|v| arg_count(v, "maxBars")).transpose()?;
        guard(|| ok(wire::run::advance_until_next_session(&mut self.inner.borrow_mut(), max_bars)))
    }

    /// Bars up to `simTime`, JSON `{sim_time, bars: [{symbol, bars}]}`; with `id`, the request
    /// counts against that agent's rate limit.
    #[napi]
    pub fn market_json(
        &self,
        id: Option<u32>,
        #[napi(ts_arg_type = "Array<string> | undefined | null")] symbols: Option<Unknown<'_>>,
        lookback: f64,
    ) -> Result<String, String> {
        let symbols = symbols.map(|v| arg_texts(v, "symbols")).transpose()?;
        let lookback = arg_count(lookback, "lookback")?;
        guard(|| ok(wire::market(&mut self.inner.borrow_mut(), id.map(agent), symbols.as_deref(), lookback as usize)))
    }

    #[napi]
    pub fn portfolio_json(&self, id: u32) -> Result<String, String> {
        guard(|| ok(wire::run::portfolio(&self.inner.borrow(), agent(id))))
    }

    #[napi]
    pub fn orders_json(&self, id: u32) -> Result<String, String> {
        guard(|| ok(wire::run::orders(&self.inner.borrow(), agent(id))))
    }

    #[napi]
    pub fn order_json(&self, id: u32, order_id: f64) -> Result<String, String> {
        guard(|| {
            let order_id = ok(wire::data::order_id(order_id))?;
            ok(wire::run::order(&self.inner.borrow(), agent(id), order_id))
        })
    }

    #[napi]
    pub fn open_orders_json(&self, id: u32) -> Result<String, String> {
        guard(|| ok(wire::run::open_orders(&self.inner.borrow(), agent(id))))
    }

    #[napi]
    pub fn fills_json(&self, id: u32) -> Result<String, String> {
        guard(|| ok(wire::run::fills(&self.inner.borrow(), agent(id))))
    }

    #[napi]
    pub fn equity_curve_json(&self, id: u32) -> Result<String, String> {
        guard(|| ok(wire::run::equity_curve(&self.inner.borrow(), agent(id))))
    }

    #[napi]
    pub fn status(&self, id: u32) -> Result<String, String> {
        guard(|| ok(wire::status(&self.inner.borrow(), agent(id))))
    }

    #[napi]
    pub fn trades_json(&self, id: u32) -> Result<String, String> {
        guard(|| ok(wire::run::trades(&self.inner.borrow(), agent(id))))
    }

    #[napi]
    pub fn metrics_json(&self, id: u32) -> Result<String, String> {
        guard(|| ok(wire::run::metrics(&self.inner.borrow(), agent(id))))
    }

    #[napi]
    pub fn results_json(&self, id: u32) -> Result<String, String> {
        guard(|| ok(wire::run::results(&self.inner.borrow(), agent(id))))
    }

    /// True once the scenario is exhausted or every agent was liquidated.
    #[napi(getter)]
    pub fn done(&self) -> Result<bool, String> {
        guard(|| Ok(self.inner.borrow().is_done()))
    }

    /// The clock: UTC milliseconds of the latest bar time.
    #[napi(getter)]
    pub fn sim_time(&self) -> Result<f64, String> {
        guard(|| Ok(self.inner.borrow().sim_time() as f64))
    }

    /// Steps taken: 0 at the scenario's first bar time.
    #[napi(getter)]
    pub fn step_index(&self) -> Result<u32, String> {
        guard(|| Ok(self.inner.borrow().step_index() as u32))
    }

    /// The equity curve as float columns.
    #[napi]
    pub fn equity_columns(&self, id: u32) -> Result<EquityColumns, String> {
        guard(|| {
            let [ts, equity, gross_exposure, drawdown] =
                ok(wire::run::equity_columns(&self.inner.borrow(), agent(id)))?;
            Ok(EquityColumns {
                ts: Float64Array::new(ts),
                equity: Float64Array::new(equity),
                gross_exposure: Float64Array::new(gross_exposure),
                drawdown: Float64Array::new(drawdown),
            })
        })
    }

    /// Index of an observable symbol (universe, then benchmark), for the fast paths.
    #[napi]
    pub fn symbol_index(&self, #[napi(ts_arg_type = "string")] symbol: Unknown<'_>) -> Result<u32, String> {
        let symbol = arg_text(symbol, "symbol")?;
        guard(|| Ok(ok(self.inner.borrow().series_index(&symbol))? as u32))
    }

    /// The latest close of series `index` as a float, or null before its first bar.
    #[napi]
    pub fn close_f64(&self, index: u32) -> Result<Option<f64>, String> {
        guard(|| ok(wire::run::close_f64(&self.inner.borrow(), index as usize)))
    }

    /// The last `n` closes of series `index` up to `simTime` (at most 1000), oldest first.
    #[napi]
    pub fn closes_f64(&self, index: u32, n: f64) -> Result<Float64Array, String> {
        let n = arg_count(n, "n")?;
        guard(|| Ok(Float64Array::new(ok(wire::run::closes_f64(&self.inner.borrow(), index as usize, n as usize))?)))
    }

    /// Signed position of the agent in series `index`, as a decimal string.
    #[napi]
    pub fn position(&self, id: u32, index: u32) -> Result<String, String> {
        guard(|| Ok(ok(wire::run::position(&self.inner.borrow(), agent(id), index as usize))?.to_string()))
    }

    #[napi]
    pub fn cash(&self, id: u32) -> Result<String, String> {
        guard(|| Ok(ok(wire::run::cash(&self.inner.borrow(), agent(id)))?.to_string()))
    }

    /// Equity at the latest closes, as a decimal string.
    #[napi]
    pub fn equity(&self, id: u32) -> Result<String, String> {
        guard(|| Ok(ok(wire::run::equity(&self.inner.borrow(), agent(id)))?.to_string()))
    }

    #[napi]
    pub fn snapshot_json(&self) -> Result<String, String> {
        guard(|| Ok(self.inner.borrow().snapshot_json()))
    }

    /// Continues a run from `snapshotJson` on its own scenario.
    #[napi(factory)]
    pub fn restore(
        scenario: &JsScenario,
        #[napi(ts_arg_type = "string")] snapshot_json: Unknown<'_>,
    ) -> Result<Self, String> {
        let snapshot_json = arg_text(snapshot_json, "snapshotJson")?;
        guard(|| Ok(JsRun { inner: RefCell::new(ok(Run::restore_json(scenario.inner.clone(), &snapshot_json))?) }))
    }
}

/// Where a callback loop calls the strategy: `calls[s]` is 1 at the steps it is called at, and
/// `jumps[s]` how many steps to advance from step `s` before the next call (at most `limit`).
#[napi(object)]
pub struct WakePlan {
    pub calls: Uint8Array,
    pub jumps: Uint32Array,
}

/// The wake plan of indicators (`values` over every bar of series `series[i]`): steps where one
/// of them gets a bar whose value is set (neither 0 nor NaN). No indicator: every step.
#[napi]
pub fn wake_plan(
    scenario: &JsScenario,
    series: Vec<u32>,
    values: Vec<Float64Array>,
    limit: u32,
) -> Result<WakePlan, String> {
    guard(|| {
        let values = values.iter().map(|v| v.to_vec()).collect();
        let (calls, jumps) = ok(wire::data::wake_plan(&scenario.inner, &series, values, limit))?;
        Ok(WakePlan { calls: Uint8Array::new(calls), jumps: Uint32Array::new(jumps) })
    })
}

/// Runs a callback backtest's bar loop in the engine: at each step of `run` where `calls` holds 1,
/// calls `onBar(step)`, then advances `jumps[step]` steps (see `wakePlan`), until the run is over;
/// `progress(done, total)` every `every` steps. Bars between calls never enter JavaScript, and a
/// bar with a call costs one call into JavaScript. An exception from `onBar` stops the loop there
/// and is rethrown as it was; an engine error is thrown with its code (`run_finished` when the
/// strategy finished the run itself), as every other call of the addon throws it.
#[napi]
pub fn drive(
    env: &Env,
    run: &JsRun,
    on_bar: Function<'_, u32, Unknown<'_>>,
    calls: Uint8Array,
    jumps: Uint32Array,
    progress: Option<Function<'_, FnArgs<(u32, u32)>, Unknown<'_>>>,
    every: u32,
) -> napi::Result<()> {
    // The strategy's exceptions pass through as `napi::Error`s holding the thrown value, so the
    // engine's errors must be JavaScript objects too: an `Error` carrying the engine's `code`.
    let fail = |e: Error| thrown(env, e.code(), &e.detail);
    let looped = panic::catch_unwind(AssertUnwindSafe(|| {
        let progress = progress.map(|f| move |done: u32, total: u32| f.call(FnArgs::from((done, total))).map(|_| ()));
        wire::data::drive(
            || run.inner.try_borrow_mut().map_err(|_| fail(wire::data::busy())),
            &calls,
            &jumps,
            every,
            |step| on_bar.call(step).map(|_| ()), // the strategy may call back into the run
            progress,
            fail,
        )
    }));
    looped.unwrap_or_else(|payload| Err(thrown(env, INTERNAL, &panicked(payload.as_ref()))))
}

/// A JavaScript `Error` with `code` as a `napi::Error` that rethrows that very object.
fn thrown(env: &Env, code: &str, detail: &str) -> napi::Error {
    let made = env.create_error(napi::Error::new(Status::GenericFailure, detail)).and_then(|mut err| {
        err.set_named_property("code", code)?;
        Ok(napi::Error::from(err.to_unknown()))
    });
    made.unwrap_or_else(|e| e)
}

/// 1 at the bars where `a` crosses `b` either way, 0 elsewhere (both one value per bar of the
/// same bars): a wake indicator made in the engine.
#[napi]
pub fn crossings(a: Float64Array, b: Float64Array) -> Result<Float64Array, String> {
    guard(|| Ok(Float64Array::new(ok(reveal::crossings(&a, &b))?)))
}

/// One entry of the built-in catalog.
#[napi(object)]
pub struct CatalogEntry {
    pub slug: String,
    pub name: String,
    pub description: String,
}

/// The built-in catalog.
#[napi]
pub fn catalog_entries() -> Result<Vec<CatalogEntry>, String> {
    guard(|| {
        Ok({
            wire::catalog_entries()
                .into_iter()
                .map(|(slug, name, description)| CatalogEntry { slug, name, description })
                .collect()
        })
    })
}

/// A stable error code and its family.
#[napi(object)]
pub struct ErrorCode {
    pub code: String,
    pub family: String,
}

/// Every error code with its family, in declaration order.
#[napi]
pub fn error_codes() -> Result<Vec<ErrorCode>, String> {
    guard(|| {
        Ok({
            wire::error_codes()
                .into_iter()
                .map(|(code, family)| ErrorCode { code: code.into(), family: family.into() })
                .collect()
        })
    })
}

/// The config (JSON) of a scenario made from a user's bars: `rulesJson` holds the core's `Rules`
/// (snake_case), `symbols` the series in order, `times` the first series' bar times (UTC ms) to read
/// the bar resolution off when the rules leave it out.
#[napi]
pub fn config_from_rules(
    #[napi(ts_arg_type = "string")] rules_json: Unknown<'_>,
    #[napi(ts_arg_type = "Array<string>")] symbols: Unknown<'_>,
    times: Float64Array,
) -> Result<String, String> {
    let rules_json = arg_text(rules_json, "rulesJson")?;
    let symbols = arg_texts(symbols, "symbols")?;
    guard(|| {
        let times: Result<Vec<i64>, String> = times.iter().map(|&t| integer(t, "bar times (ms)")).collect();
        ok(wire::config_from_rules(&rules_json, &symbols, &times?))
    })
}

/// Bars from OHLCV CSV text, JSON list of `{symbol, bars}`; without a symbol column the bars go to
/// `defaultSymbol`.
#[napi]
pub fn parse_csv(
    #[napi(ts_arg_type = "string")] csv_text: Unknown<'_>,
    #[napi(ts_arg_type = "string | undefined | null")] default_symbol: Option<Unknown<'_>>,
) -> Result<String, String> {
    let csv_text = arg_text(csv_text, "csvText")?;
    let default_symbol = default_symbol.map(|v| arg_text(v, "defaultSymbol")).transpose()?;
    guard(|| Ok(wire::to_json(&ok(csv::parse_multi_with(&csv_text, default_symbol.as_deref()))?)))
}

/// Parses RFC 3339 text (or a date) into UTC milliseconds.
#[napi]
pub fn parse_timestamp(#[napi(ts_arg_type = "string")] text: Unknown<'_>) -> Result<f64, String> {
    let text = arg_text(text, "text")?;
    guard(|| Ok(ok(vectrade_core::time::parse_timestamp(&text))? as f64))
}

/// Renders UTC milliseconds as RFC 3339.
#[napi]
pub fn format_timestamp(ms: f64) -> Result<String, String> {
    guard(|| Ok(vectrade_core::time::format_rfc3339(integer(ms, "time (ms)")?)))
}

/// Prefix lengths an indicator is recomputed on to check it is causal.
#[napi]
pub fn causality_cuts(n: u32) -> Result<Vec<u32>, String> {
    guard(|| Ok(vectrade_core::reveal::causality_cuts(n as usize).into_iter().map(|k| k as u32).collect()))
}

/// The engine's version.
#[napi]
pub fn engine_version() -> Result<String, String> {
    guard(|| Ok(env!("CARGO_PKG_VERSION").to_string()))
}

/// Panics inside the guard, for the test that a panic of the core surfaces as `InternalError`
/// and leaves the process running (no input reaches a panic any more). Only in builds with the
/// `test-hooks` feature (`npm run build:native-hooks`), never in the published addon.
#[cfg(feature = "test-hooks")]
#[napi]
pub fn panic_for_tests(#[napi(ts_arg_type = "string")] message: Unknown<'_>) -> Result<(), String> {
    let message = arg_text(message, "message")?;
    guard(|| panic!("{message}"))
}
