//! Signal backtests and sweeps: flag bytes in, a finished run or the grades out. Arguments are
//! checked and converted here; the request is read and run by the core (`wire::data`).

use std::cell::RefCell;

use napi::Result;
use napi::bindgen_prelude::{Uint8Array, Unknown};
use napi_derive::napi;
use vectrade_core::wire;

use crate::{JsRun, JsScenario, arg_count, arg_text, guard, ok, opt_arg_text};

/// Runs entry/exit flags (one byte per bar of `symbol`, non-zero = set) as a signal backtest in
/// the engine; returns the finished run (its agent has id 0).
#[napi]
#[allow(clippy::too_many_arguments, reason = "mirrors the TypeScript call one to one")]
pub fn backtest_signals(
    scenario: &JsScenario,
    #[napi(ts_arg_type = "string")] symbol: Unknown<'_>,
    #[napi(ts_arg_type = "string")] size_json: Unknown<'_>,
    entries: Uint8Array,
    exits: Uint8Array,
    short_entries: Option<Uint8Array>,
    short_exits: Option<Uint8Array>,
    #[napi(ts_arg_type = "string | undefined | null")] options_json: Option<Unknown<'_>>,
    #[napi(ts_arg_type = "string | undefined | null")] stops_json: Option<Unknown<'_>>,
) -> Result<JsRun, String> {
    let symbol = arg_text(symbol, "symbol")?;
    let size_json = arg_text(size_json, "sizeJson")?;
    let options_json = opt_arg_text(options_json, "optionsJson")?;
    let stops_json = opt_arg_text(stops_json, "stopsJson")?;
    guard(|| {
        let request = wire::data::SignalRequest {
            symbol: &symbol,
            size_json: &size_json,
            columns: 1,
            entries: &entries,
            exits: &exits,
            short_entries: short_entries.as_deref(),
            short_exits: short_exits.as_deref(),
            options_json: options_json.as_deref(),
            stops_json: stops_json.as_deref(),
        };
        let run = ok(wire::data::signal_run(scenario.inner.clone(), &request, None))?;
        Ok(JsRun { inner: RefCell::new(run) })
    })
}

/// Grades one signal backtest per column of flags (`columns` of them, each column's flags stored
/// after the previous one's, one byte per bar, non-zero = set) on `threads` threads (0 or left out:
/// one per core): the JSON array of their results, in column order, each equal to the column's
/// own `backtestSignals` run.
#[napi]
#[allow(clippy::too_many_arguments, reason = "mirrors the TypeScript call one to one")]
pub fn sweep_signals(
    scenario: &JsScenario,
    #[napi(ts_arg_type = "string")] symbol: Unknown<'_>,
    #[napi(ts_arg_type = "string")] size_json: Unknown<'_>,
    columns: f64,
    entries: Uint8Array,
    exits: Uint8Array,
    short_entries: Option<Uint8Array>,
    short_exits: Option<Uint8Array>,
    #[napi(ts_arg_type = "string | undefined | null")] options_json: Option<Unknown<'_>>,
    #[napi(ts_arg_type = "string | undefined | null")] stops_json: Option<Unknown<'_>>,
    threads: Option<f64>,
) -> Result<String, String> {
    let symbol = arg_text(symbol, "symbol")?;
    let size_json = arg_text(size_json, "sizeJson")?;
    let options_json = opt_arg_text(options_json, "optionsJson")?;
    let stops_json = opt_arg_text(stops_json, "stopsJson")?;
    let columns = arg_count(columns, "columns")? as usize;
    let threads = threads.map(|t| arg_count(t, "threads")).transpose()?.unwrap_or(0) as usize;
    guard(|| {
        let request = wire::data::SignalRequest {
            symbol: &symbol,
            size_json: &size_json,
            columns,
            entries: &entries,
            exits: &exits,
            short_entries: short_entries.as_deref(),
            short_exits: short_exits.as_deref(),
            options_json: options_json.as_deref(),
            stops_json: stops_json.as_deref(),
        };
        ok(wire::data::sweep(scenario.inner.clone(), &request, threads, None))
    })
}
