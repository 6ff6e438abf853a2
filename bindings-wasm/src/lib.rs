//! The engine for WebAssembly: the same classes, methods and functions as the Node addon
//! (`bindings-node`, whose generated `.d.ts` is the contract the TypeScript layer is written
//! against), so one TypeScript API runs in Node and in browsers. Conversion only: structured
//! values cross as the JSON of `vectrade_core::wire`, bulk data as typed arrays, and engine errors
//! are thrown as `Error`s whose `code` is the engine's stable code.

use std::cell::RefCell;
use std::sync::Arc;

use js_sys::{Array, Float64Array, Function, Object, Reflect, Uint8Array};
use serde::Serialize;
use vectrade_core::wire::{self, Columns};
use vectrade_core::{AgentId, Error, ErrorKind, Run, Scenario, catalog, csv};
use wasm_bindgen::prelude::*;

/// An engine error as a JavaScript `Error` with the engine's `code`.
fn js(e: Error) -> JsValue {
    let err = js_sys::Error::new(&e.detail);
    // Setting a property on a fresh Error cannot fail.
    let _ = Reflect::set(&err, &"code".into(), &e.code().into());
    err.into()
}

fn ok<T>(r: vectrade_core::Result<T>) -> Result<T, JsValue> {
    r.map_err(js)
}

/// A text argument. wasm-bindgen's glue reads a `&str` parameter's `.length` and copies its
/// characters into the module's memory without checking that it is a string: a number there made
/// the module trap ("memory access out of bounds") and left it unusable. Text arguments therefore
/// arrive as `JsValue` and are checked here, into `invalid_argument` naming the argument.
fn text(v: JsValue, name: &str) -> Result<String, JsValue> {
    v.as_string().ok_or_else(|| wrong_type(&v, name, "a string"))
}

/// An optional text argument: `undefined` and `null` are left out.
fn opt_text(v: JsValue, name: &str) -> Result<Option<String>, JsValue> {
    if v.is_undefined() || v.is_null() { Ok(None) } else { text(v, name).map(Some) }
}

/// An array of strings (symbols).
fn texts(v: JsValue, name: &str) -> Result<Vec<String>, JsValue> {
    if !Array::is_array(&v) {
        return Err(wrong_type(&v, name, "an array of strings"));
    }
    Array::from(&v).iter().enumerate().map(|(i, s)| text(s, &format!("{name}[{i}]"))).collect()
}

/// An optional array of strings.
fn opt_texts(v: JsValue, name: &str) -> Result<Option<Vec<String>>, JsValue> {
    if v.is_undefined() || v.is_null() { Ok(None) } else { texts(v, name).map(Some) }
}

/// A count (bars, lookback): an integer from 0 to 2^32 - 1, never wrapped or truncated
/// (wasm-bindgen's u32 conversion reads -1 as 4294967295 and 2.7 as 2).
fn arg_count(v: f64, name: &str) -> Result<u32, JsValue> {
    let refuse = |detail: String| js(Error::new(ErrorKind::InvalidArgument, detail));
    if v.fract() != 0.0 || !v.is_finite() {
        return Err(refuse(format!("`{name}` must be an integer, got {v}")));
    }
    if !(0.0..=f64::from(u32::MAX)).contains(&v) {
        return Err(refuse(format!("`{name}` must be an integer from 0 to {}, got {v}", u32::MAX)));
    }
    Ok(v as u32)
}

fn wrong_type(v: &JsValue, name: &str, want: &str) -> JsValue {
    let got = if v.is_null() { "null".to_string() } else { v.js_typeof().as_string().unwrap_or_default() };
    js(Error::new(ErrorKind::InvalidArgument, format!("`{name}` must be {want}, got {got}")))
}

fn agent(id: u32) -> AgentId {
    AgentId(id as usize)
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    serde_wasm_bindgen::to_value(value).map_err(|e| js(Error::new(ErrorKind::InvalidArgument, e.to_string())))
}

fn object(fields: &[(&str, JsValue)]) -> Result<Object, JsValue> {
    let out = Object::new();
    for (k, v) in fields {
        Reflect::set(&out, &(*k).into(), v)?;
    }
    Ok(out)
}

fn times(values: &[f64], what: &str) -> Result<Vec<i64>, JsValue> {
    values.iter().map(|&t| ok(wire::data::integer(t, what))).collect()
}

/// An immutable scenario (config and bars), shared by every run started on it.
#[wasm_bindgen(js_name = Scenario)]
pub struct WasmScenario {
    inner: Arc<Scenario>,
}

#[wasm_bindgen(js_class = Scenario)]
impl WasmScenario {
    /// A built-in scenario by slug.
    pub fn builtin(slug: JsValue) -> Result<WasmScenario, JsValue> {
        let slug = &text(slug, "slug")?;
        Ok(WasmScenario { inner: Arc::new(ok(catalog::get(slug))?) })
    }

    /// A synthetic market (JSON of the core's `SyntheticSpec`).
    pub fn synthetic(spec_json: JsValue) -> Result<WasmScenario, JsValue> {
        let spec_json = &text(spec_json, "specJson")?;
        Ok(WasmScenario { inner: Arc::new(ok(wire::synthetic(spec_json))?) })
    }

    /// The same bars under other rules (JSON of the core's `Rules`; see `wire::with_rules`).
    #[wasm_bindgen(js_name = withRules)]
    pub fn with_rules(&self, rules_json: JsValue) -> Result<WasmScenario, JsValue> {
        let rules_json = &text(rules_json, "rulesJson")?;
        Ok(WasmScenario { inner: Arc::new(ok(wire::with_rules(&self.inner, rules_json))?) })
    }

    /// A scenario from a config (JSON) and series (JSON list of `{symbol, bars}`).
    #[wasm_bindgen(js_name = fromSeries)]
    pub fn from_series(config_json: JsValue, series_json: JsValue) -> Result<WasmScenario, JsValue> {
        let config_json = &text(config_json, "configJson")?;
        let series_json = &text(series_json, "seriesJson")?;
        Ok(WasmScenario { inner: Arc::new(ok(wire::scenario_from_series(config_json, series_json))?) })
    }

    /// A scenario from a config (JSON) and float columns per symbol (`{symbol, ts, open, high,
    /// low, close, volume}` with `Float64Array`s).
    #[wasm_bindgen(js_name = fromColumns)]
    pub fn from_columns(config_json: JsValue, columns: Array) -> Result<WasmScenario, JsValue> {
        let config_json = &text(config_json, "configJson")?;
        let field = |c: &JsValue, name: &str| -> Result<Vec<f64>, JsValue> {
            Ok(Float64Array::new(&Reflect::get(c, &name.into())?).to_vec())
        };
        let mut cols = Vec::new();
        for c in columns.iter() {
            let symbol = Reflect::get(&c, &"symbol".into())?
                .as_string()
                .ok_or_else(|| js(Error::new(ErrorKind::InvalidBar, "each set of columns needs a `symbol` string")))?;
            let ts = times(&field(&c, "ts")?, &format!("{symbol}: bar times (ms)"))?;
            let ohlcv =
                [field(&c, "open")?, field(&c, "high")?, field(&c, "low")?, field(&c, "close")?, field(&c, "volume")?];
            cols.push(Columns { symbol, ts, ohlcv });
        }
        let columns = cols;
        Ok(WasmScenario { inner: Arc::new(ok(wire::scenario_from_columns(config_json, columns))?) })
    }

    /// The hosted API's scenario object, JSON.
    #[wasm_bindgen(js_name = infoJson)]
    pub fn info_json(&self) -> String {
        wire::to_json(&self.inner.info())
    }

    /// Every series, JSON list of `{symbol, bars}`.
    #[wasm_bindgen(js_name = seriesJson)]
    pub fn series_json(&self) -> String {
        wire::to_json(&self.inner.series())
    }

    /// Digest of the config and every bar, hex.
    pub fn fingerprint(&self) -> String {
        format!("{:016x}", self.inner.fingerprint())
    }

    /// Index of a symbol's series.
    #[wasm_bindgen(js_name = seriesIndex)]
    pub fn series_index(&self, symbol: JsValue) -> Result<u32, JsValue> {
        let symbol = &text(symbol, "symbol")?;
        Ok(ok(self.inner.series_index(symbol))? as u32)
    }

    /// The timeline (every bar time of any symbol), UTC milliseconds.
    pub fn timeline(&self) -> Vec<f64> {
        self.inner.timeline().iter().map(|&t| t as f64).collect()
    }

    /// Bars of series `index` visible at each step of the timeline.
    #[wasm_bindgen(js_name = visibleCounts)]
    pub fn visible_counts(&self, index: u32) -> Result<Vec<u32>, JsValue> {
        ok(wire::data::visible_counts(&self.inner, index as usize))
    }

    /// One field of every bar of series `index`, as floats.
    pub fn column(&self, index: u32, field: JsValue) -> Result<Vec<f64>, JsValue> {
        let field = &text(field, "field")?;
        ok(wire::data::column(&self.inner, index as usize, field))
    }
}

/// A run over a scenario: agents, orders, steps, results.
#[wasm_bindgen(js_name = Run)]
pub struct WasmRun {
    // `&self` methods borrowing inside: a strategy called from `drive` may call back into the run.
    inner: RefCell<Run>,
}

#[wasm_bindgen(js_class = Run)]
impl WasmRun {
    /// A run of `scenario`; `optionsJson` holds the core's `RunOptions`.
    #[wasm_bindgen(constructor)]
    pub fn new(scenario: &WasmScenario, options_json: JsValue) -> Result<WasmRun, JsValue> {
        let options_json = opt_text(options_json, "optionsJson")?;
        let options = ok(wire::run_options(options_json.as_deref()))?;
        Ok(WasmRun { inner: RefCell::new(ok(Run::with_options(scenario.inner.clone(), options))?) })
    }

    #[wasm_bindgen(js_name = addAgent)]
    pub fn add_agent(&self, name: JsValue, risk_json: JsValue) -> Result<u32, JsValue> {
        let name = &text(name, "name")?;
        let risk_json = &text(risk_json, "riskJson")?;
        let profile = ok(wire::from_json("risk profile", risk_json))?;
        Ok(ok(self.inner.borrow_mut().add_agent(name, profile))?.0 as u32)
    }

    #[wasm_bindgen(js_name = cloneAgent)]
    pub fn clone_agent(&self, id: u32, name: JsValue) -> Result<u32, JsValue> {
        let name = &text(name, "name")?;
        Ok(ok(self.inner.borrow_mut().clone_agent(agent(id), name))?.0 as u32)
    }

    #[wasm_bindgen(js_name = resetAgent)]
    pub fn reset_agent(&self, id: u32) -> Result<(), JsValue> {
        ok(self.inner.borrow_mut().reset_agent(agent(id)))
    }

    #[wasm_bindgen(js_name = setRiskProfile)]
    pub fn set_risk_profile(&self, id: u32, risk_json: JsValue) -> Result<(), JsValue> {
        let risk_json = &text(risk_json, "riskJson")?;
        let profile = ok(wire::from_json("risk profile", risk_json))?;
        ok(self.inner.borrow_mut().set_risk_profile(agent(id), profile))
    }

    #[wasm_bindgen(js_name = agentNames)]
    pub fn agent_names(&self) -> Result<Vec<String>, JsValue> {
        let run = self.inner.borrow();
        let e = run.engine();
        (0..e.agent_count()).map(|k| ok(e.agent_name(AgentId(k)).map(String::from))).collect()
    }

    #[wasm_bindgen(js_name = riskProfileJson)]
    pub fn risk_profile_json(&self, id: u32) -> Result<String, JsValue> {
        ok(wire::run::risk_profile(&self.inner.borrow(), agent(id)))
    }

    /// Queues an order (JSON `OrderRequest`); returns the order, JSON.
    pub fn submit(&self, id: u32, order_json: JsValue, idempotency_key: JsValue) -> Result<String, JsValue> {
        let order_json = &text(order_json, "orderJson")?;
        let idempotency_key = opt_text(idempotency_key, "idempotencyKey")?;
        ok(wire::submit(&mut self.inner.borrow_mut(), agent(id), order_json, idempotency_key.as_deref()))
    }

    /// A market order, or a limit order with `limit`, on series `index`; returns the order id.
    #[wasm_bindgen(js_name = submitSimple)]
    pub fn submit_simple(
        &self,
        id: u32,
        index: u32,
        side: JsValue,
        quantity: JsValue,
        limit: JsValue,
    ) -> Result<f64, JsValue> {
        let side = &text(side, "side")?;
        let quantity = &text(quantity, "quantity")?;
        let limit = opt_text(limit, "limit")?;
        let quantity = ok(wire::run::decimal(quantity, "quantity"))?;
        let limit = limit.as_deref().map(|l| ok(wire::run::decimal(l, "limit"))).transpose()?;
        let run = &mut self.inner.borrow_mut();
        Ok(ok(wire::run::submit_simple(run, agent(id), index as usize, side, quantity, limit))? as f64)
    }

    pub fn cancel(&self, id: u32, order_id: f64, idempotency_key: JsValue) -> Result<String, JsValue> {
        let idempotency_key = opt_text(idempotency_key, "idempotencyKey")?;
        let order_id = ok(wire::data::order_id(order_id))?;
        ok(wire::cancel(&mut self.inner.borrow_mut(), agent(id), order_id, idempotency_key.as_deref()))
    }

    pub fn step(&self, count: f64, idempotency_key: JsValue) -> Result<String, JsValue> {
        let count = arg_count(count, "count")?;
        let idempotency_key = opt_text(idempotency_key, "idempotencyKey")?;
        ok(wire::step(&mut self.inner.borrow_mut(), count, idempotency_key.as_deref()))
    }

    pub fn advance(&self, count: f64) -> Result<u32, JsValue> {
        let count = arg_count(count, "count")?;
        ok(self.inner.borrow_mut().advance(count))
    }

    #[wasm_bindgen(js_name = holdUntilEnd)]
    pub fn hold_until_end(&self, max_bars: Option<f64>, require_flat: Option<u32>) -> Result<String, JsValue> {
        let max_bars = max_bars.map(|v| arg_count(v, "maxBars")).transpose()?;
        ok(wire::run::hold_until_end(&mut self.inner.borrow_mut(), max_bars, require_flat.map(agent)))
    }

    #[wasm_bindgen(js_name = liquidateAndFinish)]
    pub fn liquidate_and_finish(&self, id: u32, rationale: JsValue, max_bars: Option<f64>) -> Result<String, JsValue> {
        let max_bars = max_bars.map(|v| arg_count(v, "maxBars")).transpose()?;
        let rationale = &text(rationale, "rationale")?;
        ok(wire::run::liquidate_and_finish(&mut self.inner.borrow_mut(), agent(id), rationale, max_bars))
    }

    #[wasm_bindgen(js_name = advanceUntilNextSession)]
    pub fn advance_until_next_session(&self, max_bars: Option<f64>) -> Result<String, JsValue> {
        let max_bars = max_bars.map(|v| arg_count(v, "maxBars")).transpose()?;
        ok(wire::run::advance_until_next_session(&mut self.inner.borrow_mut(), max_bars))
    }

    #[wasm_bindgen(js_name = marketJson)]
    pub fn market_json(&self, id: Option<u32>, symbols: JsValue, lookback: f64) -> Result<String, JsValue> {
        let lookback = arg_count(lookback, "lookback")?;
        let symbols = opt_texts(symbols, "symbols")?;
        ok(wire::market(&mut self.inner.borrow_mut(), id.map(agent), symbols.as_deref(), lookback as usize))
    }

    #[wasm_bindgen(js_name = portfolioJson)]
    pub fn portfolio_json(&self, id: u32) -> Result<String, JsValue> {
        ok(wire::run::portfolio(&self.inner.borrow(), agent(id)))
    }

    #[wasm_bindgen(js_name = ordersJson)]
    pub fn orders_json(&self, id: u32) -> Result<String, JsValue> {
        ok(wire::run::orders(&self.inner.borrow(), agent(id)))
    }

    #[wasm_bindgen(js_name = orderJson)]
    pub fn order_json(&self, id: u32, order_id: f64) -> Result<String, JsValue> {
        let order_id = ok(wire::data::order_id(order_id))?;
        ok(wire::run::order(&self.inner.borrow(), agent(id), order_id))
    }

    #[wasm_bindgen(js_name = openOrdersJson)]
    pub fn open_orders_json(&self, id: u32) -> Result<String, JsValue> {
        ok(wire::run::open_orders(&self.inner.borrow(), agent(id)))
    }

    #[wasm_bindgen(js_name = fillsJson)]
    pub fn fills_json(&self, id: u32) -> Result<String, JsValue> {
        ok(wire::run::fills(&self.inner.borrow(), agent(id)))
    }

    #[wasm_bindgen(js_name = equityCurveJson)]
    pub fn equity_curve_json(&self, id: u32) -> Result<String, JsValue> {
        ok(wire::run::equity_curve(&self.inner.borrow(), agent(id)))
    }

    pub fn status(&self, id: u32) -> Result<String, JsValue> {
        ok(wire::status(&self.inner.borrow(), agent(id)))
    }

    #[wasm_bindgen(js_name = tradesJson)]
    pub fn trades_json(&self, id: u32) -> Result<String, JsValue> {
        ok(wire::run::trades(&self.inner.borrow(), agent(id)))
    }

    #[wasm_bindgen(js_name = metricsJson)]
    pub fn metrics_json(&self, id: u32) -> Result<String, JsValue> {
        ok(wire::run::metrics(&self.inner.borrow(), agent(id)))
    }

    #[wasm_bindgen(js_name = resultsJson)]
    pub fn results_json(&self, id: u32) -> Result<String, JsValue> {
        ok(wire::run::results(&self.inner.borrow(), agent(id)))
    }

    #[wasm_bindgen(getter)]
    pub fn done(&self) -> bool {
        self.inner.borrow().is_done()
    }

    #[wasm_bindgen(getter, js_name = simTime)]
    pub fn sim_time(&self) -> f64 {
        self.inner.borrow().sim_time() as f64
    }

    #[wasm_bindgen(getter, js_name = stepIndex)]
    pub fn step_index(&self) -> u32 {
        self.inner.borrow().step_index() as u32
    }

    /// The equity curve as `{ts, equity, grossExposure, drawdown}` `Float64Array`s.
    #[wasm_bindgen(js_name = equityColumns)]
    pub fn equity_columns(&self, id: u32) -> Result<Object, JsValue> {
        let [ts, equity, gross, drawdown] = ok(wire::run::equity_columns(&self.inner.borrow(), agent(id)))?;
        let f = |v: &[f64]| JsValue::from(Float64Array::from(v));
        object(&[("ts", f(&ts)), ("equity", f(&equity)), ("grossExposure", f(&gross)), ("drawdown", f(&drawdown))])
    }

    #[wasm_bindgen(js_name = symbolIndex)]
    pub fn symbol_index(&self, symbol: JsValue) -> Result<u32, JsValue> {
        let symbol = &text(symbol, "symbol")?;
        Ok(ok(self.inner.borrow().series_index(symbol))? as u32)
    }

    #[wasm_bindgen(js_name = closeF64)]
    pub fn close_f64(&self, index: u32) -> Result<Option<f64>, JsValue> {
        ok(wire::run::close_f64(&self.inner.borrow(), index as usize))
    }

    #[wasm_bindgen(js_name = closesF64)]
    pub fn closes_f64(&self, index: u32, n: f64) -> Result<Vec<f64>, JsValue> {
        let n = arg_count(n, "n")?;
        ok(wire::run::closes_f64(&self.inner.borrow(), index as usize, n as usize))
    }

    pub fn position(&self, id: u32, index: u32) -> Result<String, JsValue> {
        Ok(ok(wire::run::position(&self.inner.borrow(), agent(id), index as usize))?.to_string())
    }

    pub fn cash(&self, id: u32) -> Result<String, JsValue> {
        Ok(ok(wire::run::cash(&self.inner.borrow(), agent(id)))?.to_string())
    }

    pub fn equity(&self, id: u32) -> Result<String, JsValue> {
        Ok(ok(wire::run::equity(&self.inner.borrow(), agent(id)))?.to_string())
    }

    #[wasm_bindgen(js_name = snapshotJson)]
    pub fn snapshot_json(&self) -> String {
        self.inner.borrow().snapshot_json()
    }

    /// Continues a run from `snapshotJson` on its own scenario.
    pub fn restore(scenario: &WasmScenario, snapshot_json: JsValue) -> Result<WasmRun, JsValue> {
        let snapshot_json = &text(snapshot_json, "snapshotJson")?;
        Ok(WasmRun { inner: RefCell::new(ok(Run::restore_json(scenario.inner.clone(), snapshot_json))?) })
    }
}

/// The wake plan of indicators: `{calls: Uint8Array, jumps: Uint32Array}` (see the Node addon).
#[wasm_bindgen(js_name = wakePlan)]
pub fn wake_plan(scenario: &WasmScenario, series: Vec<u32>, values: Array, limit: u32) -> Result<Object, JsValue> {
    let values = values.iter().map(|v| Float64Array::new(&v).to_vec()).collect();
    let (calls, jumps) = ok(wire::data::wake_plan(&scenario.inner, &series, values, limit))?;
    object(&[("calls", Uint8Array::from(&calls[..]).into()), ("jumps", js_sys::Uint32Array::from(&jumps[..]).into())])
}

/// 1 at the bars where `a` crosses `b` either way, 0 elsewhere.
#[wasm_bindgen]
pub fn crossings(a: &[f64], b: &[f64]) -> Result<Vec<f64>, JsValue> {
    ok(vectrade_core::reveal::crossings(a, b))
}

/// The callback loop (see the Node addon's `drive`): calls `onBar(step)` at the planned steps and
/// advances the run in between; exceptions from `onBar` propagate as they are.
#[wasm_bindgen]
pub fn drive(
    run: &WasmRun,
    on_bar: &Function,
    calls: &[u8],
    jumps: &[u32],
    progress: Option<Function>,
    every: u32,
) -> Result<(), JsValue> {
    let progress =
        progress.map(|f| move |done: u32, total: u32| f.call2(&JsValue::NULL, &done.into(), &total.into()).map(|_| ()));
    wire::data::drive(
        || run.inner.try_borrow_mut().map_err(|_| js(wire::data::busy())),
        calls,
        jumps,
        every,
        |step| on_bar.call1(&JsValue::NULL, &JsValue::from(step)).map(|_| ()), // it may order on the run
        progress,
        js,
    )
}

/// Runs entry/exit flags (one byte per bar, non-zero = set) as a signal backtest in the engine.
#[wasm_bindgen(js_name = backtestSignals)]
#[allow(clippy::too_many_arguments, reason = "mirrors the TypeScript call one to one")]
pub fn backtest_signals(
    scenario: &WasmScenario,
    symbol: JsValue,
    size_json: JsValue,
    entries: &[u8],
    exits: &[u8],
    short_entries: Option<Vec<u8>>,
    short_exits: Option<Vec<u8>>,
    options_json: JsValue,
    stops_json: JsValue,
) -> Result<WasmRun, JsValue> {
    let symbol = &text(symbol, "symbol")?;
    let size_json = &text(size_json, "sizeJson")?;
    let options_json = opt_text(options_json, "optionsJson")?;
    let stops_json = opt_text(stops_json, "stopsJson")?;
    let request = wire::data::SignalRequest {
        symbol,
        size_json,
        columns: 1,
        entries,
        exits,
        short_entries: short_entries.as_deref(),
        short_exits: short_exits.as_deref(),
        options_json: options_json.as_deref(),
        stops_json: stops_json.as_deref(),
    };
    let run = ok(wire::data::signal_run(scenario.inner.clone(), &request, None))?;
    Ok(WasmRun { inner: RefCell::new(run) })
}

/// Grades one signal backtest per column of flags (stored column after column), one column after
/// the other (WebAssembly has no threads: `threads` is accepted and ignored): the JSON array of
/// their results in column order, as the addon's `sweepSignals`.
#[wasm_bindgen(js_name = sweepSignals)]
#[allow(clippy::too_many_arguments, reason = "mirrors the TypeScript call one to one")]
pub fn sweep_signals(
    scenario: &WasmScenario,
    symbol: JsValue,
    size_json: JsValue,
    columns: f64,
    entries: &[u8],
    exits: &[u8],
    short_entries: Option<Vec<u8>>,
    short_exits: Option<Vec<u8>>,
    options_json: JsValue,
    stops_json: JsValue,
    threads: Option<f64>,
) -> Result<String, JsValue> {
    let symbol = &text(symbol, "symbol")?;
    let size_json = &text(size_json, "sizeJson")?;
    let options_json = opt_text(options_json, "optionsJson")?;
    let stops_json = opt_text(stops_json, "stopsJson")?;
    let columns = ok(wire::data::integer(columns, "columns"))?;
    if let Some(t) = threads {
        ok(wire::data::integer(t, "threads"))?;
    }
    let columns = usize::try_from(columns).map_err(|_| {
        js(Error::new(ErrorKind::InvalidArgument, format!("`columns` must be 0 or more, got {columns}")))
    })?;
    let request = wire::data::SignalRequest {
        symbol,
        size_json,
        columns,
        entries,
        exits,
        short_entries: short_entries.as_deref(),
        short_exits: short_exits.as_deref(),
        options_json: options_json.as_deref(),
        stops_json: stops_json.as_deref(),
    };
    ok(wire::data::sweep(scenario.inner.clone(), &request, 0, None))
}

#[derive(Serialize)]
struct CatalogEntry {
    slug: String,
    name: String,
    description: String,
}

/// The built-in catalog: `{slug, name, description}` per entry.
#[wasm_bindgen(js_name = catalogEntries)]
pub fn catalog_entries() -> Result<JsValue, JsValue> {
    let entries: Vec<CatalogEntry> = wire::catalog_entries()
        .into_iter()
        .map(|(slug, name, description)| CatalogEntry { slug, name, description })
        .collect();
    to_js(&entries)
}

#[derive(Serialize)]
struct ErrorCode {
    code: &'static str,
    family: &'static str,
}

/// Every error code with its family: `{code, family}` per entry.
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Result<JsValue, JsValue> {
    to_js(&wire::error_codes().into_iter().map(|(code, family)| ErrorCode { code, family }).collect::<Vec<_>>())
}

/// The config (JSON) of a scenario made from a user's bars (see `wire::config_from_rules`).
#[wasm_bindgen(js_name = configFromRules)]
pub fn config_from_rules(rules_json: JsValue, symbols: JsValue, times_ms: &[f64]) -> Result<String, JsValue> {
    let rules_json = &text(rules_json, "rulesJson")?;
    let symbols = texts(symbols, "symbols")?;
    ok(wire::config_from_rules(rules_json, &symbols, &times(times_ms, "bar times (ms)")?))
}

/// Bars from OHLCV CSV text, JSON list of `{symbol, bars}`.
#[wasm_bindgen(js_name = parseCsv)]
pub fn parse_csv(csv_text: JsValue, default_symbol: JsValue) -> Result<String, JsValue> {
    let csv_text = &text(csv_text, "csvText")?;
    let default_symbol = opt_text(default_symbol, "defaultSymbol")?;
    Ok(wire::to_json(&ok(csv::parse_multi_with(csv_text, default_symbol.as_deref()))?))
}

/// Parses RFC 3339 text (or a date) into UTC milliseconds.
#[wasm_bindgen(js_name = parseTimestamp)]
pub fn parse_timestamp(value: JsValue) -> Result<f64, JsValue> {
    let value = &text(value, "text")?;
    Ok(ok(vectrade_core::time::parse_timestamp(value))? as f64)
}

/// Renders UTC milliseconds as RFC 3339.
#[wasm_bindgen(js_name = formatTimestamp)]
pub fn format_timestamp(ms: f64) -> Result<String, JsValue> {
    Ok(vectrade_core::time::format_rfc3339(ok(wire::data::integer(ms, "time (ms)"))?))
}

/// Prefix lengths an indicator is recomputed on to check it is causal.
#[wasm_bindgen(js_name = causalityCuts)]
pub fn causality_cuts(n: u32) -> Vec<u32> {
    vectrade_core::reveal::causality_cuts(n as usize).into_iter().map(|k| k as u32).collect()
}

/// The engine's version.
#[wasm_bindgen(js_name = engineVersion)]
pub fn engine_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
