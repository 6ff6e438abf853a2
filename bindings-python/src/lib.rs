//! `vectrade._native`: the engine for Python. Conversion and error mapping only — structured values
//! cross as JSON text (decimals as strings, so money is never a float), and every engine error is
//! raised as the exception class of its family with `.code` and `.detail` set.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

mod guard;
mod strategy;

use guard::guard;

/// A run's histories are megabytes; mimalloc keeps them for the next run (see the workspace's
/// Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use vectrade_core::{AgentId, Decimal, Error, ErrorFamily, ErrorKind, Interrupt, Run, Scenario, catalog, csv, wire};

create_exception!(
    vectrade,
    VecTradeError,
    PyException,
    "Base class of every VecTrade error; has `.code` and `.detail`."
);
create_exception!(
    vectrade,
    InvalidInput,
    VecTradeError,
    "The input is malformed (bad quantity, unknown value, bad CSV, ...)."
);
create_exception!(
    vectrade,
    OrderRejected,
    VecTradeError,
    "The account cannot take the order (buying power, position, shorting)."
);
create_exception!(vectrade, RiskLimitExceeded, VecTradeError, "A check of the agent's risk profile refused the order.");
create_exception!(vectrade, RateLimited, VecTradeError, "A rate limit of the risk profile refused the request.");
create_exception!(vectrade, Conflict, VecTradeError, "An identifier or key was reused for something else.");
create_exception!(vectrade, IdempotencyConflict, Conflict, "The idempotency key was used with a different request.");
create_exception!(vectrade, NotFound, VecTradeError, "The named scenario, agent or order does not exist.");
create_exception!(
    vectrade,
    InvalidState,
    VecTradeError,
    "The call is not valid now (run finished, still running, ...)."
);
create_exception!(vectrade, RunFinished, InvalidState, "The run is over; it takes no more steps or orders.");
create_exception!(
    vectrade,
    InternalError,
    VecTradeError,
    "A bug inside the engine (a panic), code `internal_error`; please report it with the call that caused it."
);

/// An int or a `Decimal` from the Python layer, exactly: an int that fits `i64` as it is, anything
/// else read from its text by the core (`wire::run::decimal`), which refuses what it would have to
/// round (29 decimal places, `10**40`) with a typed error. pyo3's own conversion rounds.
fn exact_decimal(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Decimal> {
    if let Ok(v) = value.extract::<i64>() {
        return Ok(Decimal::from(v));
    }
    ok(wire::run::decimal(&value.str()?.to_cow()?, what))
}

/// The check that lets Ctrl-C stop the engine's long loops (`vectrade_core::interrupt`): it runs
/// Python's signal handlers, and when one raises (KeyboardInterrupt) it leaves that exception set
/// in the interpreter, as the C API does, and tells the core to stop; [`raise`] hands the
/// exception back. Off the main thread Python runs no handlers and the check always passes.
fn ctrl_c() -> Interrupt {
    Interrupt::new(|| {
        Python::attach(|py| {
            py.check_signals().map_err(|e| {
                e.restore(py);
                Error::new(ErrorKind::Interrupted, "interrupted by a signal")
            })
        })
    })
}

/// The Python exception for an engine error, with `code`, `detail` and `family` attributes; for
/// `interrupted`, the exception the signal handler raised (see [`ctrl_c`]).
pub(crate) fn raise(e: Error) -> PyErr {
    if e.kind == ErrorKind::Interrupted {
        return Python::attach(PyErr::take).unwrap_or_else(|| pyo3::exceptions::PyKeyboardInterrupt::new_err(e.detail));
    }
    let detail = e.detail.clone();
    let err = match (e.kind, e.family()) {
        (ErrorKind::IdempotencyConflict, _) => IdempotencyConflict::new_err(detail),
        (ErrorKind::RunFinished, _) => RunFinished::new_err(detail),
        (_, ErrorFamily::InvalidInput) => InvalidInput::new_err(detail),
        (_, ErrorFamily::OrderRejected) => OrderRejected::new_err(detail),
        (_, ErrorFamily::RiskLimitExceeded) => RiskLimitExceeded::new_err(detail),
        (_, ErrorFamily::RateLimited) => RateLimited::new_err(detail),
        (_, ErrorFamily::Conflict) => Conflict::new_err(detail),
        (_, ErrorFamily::NotFound) => NotFound::new_err(detail),
        (_, ErrorFamily::InvalidState) => InvalidState::new_err(detail),
    };
    Python::attach(|py| {
        let value = err.value(py);
        // Setting attributes on a fresh exception instance cannot fail in practice.
        let _ = value.setattr("code", e.code());
        let _ = value.setattr("detail", e.detail.as_str());
        let _ = value.setattr("family", e.family().as_str());
    });
    err
}

pub(crate) fn ok<T>(r: vectrade_core::Result<T>) -> PyResult<T> {
    r.map_err(raise)
}

/// Parses JSON made by the Python layer (see `wire::from_json`: errors name the field).
fn parse<T: DeserializeOwned>(what: &str, json: &str) -> PyResult<T> {
    ok(wire::from_json(what, json))
}

fn dump<T: Serialize>(value: &T) -> String {
    wire::to_json(value)
}

/// An immutable scenario (config and bars), shared by every run started on it.
#[pyclass(module = "vectrade._native", name = "Scenario", frozen)]
struct PyScenario {
    inner: Arc<Scenario>,
}

#[pymethods]
impl PyScenario {
    /// A built-in scenario by slug.
    #[staticmethod]
    fn builtin(slug: &str) -> PyResult<Self> {
        guard(|| Ok(PyScenario { inner: Arc::new(ok(catalog::get(slug))?) }))
    }

    /// A synthetic market (JSON of `SyntheticSpec`); Ctrl-C stops it.
    #[staticmethod]
    fn synthetic(spec_json: &str) -> PyResult<Self> {
        guard(|| Ok(PyScenario { inner: Arc::new(ok(wire::synthetic_interruptible(spec_json, Some(&ctrl_c())))?) }))
    }

    /// The same bars under other rules (JSON of the core's `Rules`; see `wire::with_rules`).
    fn with_rules(&self, rules_json: &str) -> PyResult<Self> {
        guard(|| Ok(PyScenario { inner: Arc::new(ok(wire::with_rules(&self.inner, rules_json))?) }))
    }

    /// A scenario from a config (JSON) and series (JSON list of `{symbol, bars}`).
    #[staticmethod]
    fn from_series(config_json: &str, series_json: &str) -> PyResult<Self> {
        guard(|| Ok(PyScenario { inner: Arc::new(ok(wire::scenario_from_series(config_json, series_json))?) }))
    }

    /// A scenario from a config (JSON) and float columns per symbol: `(symbol, ts, open, high,
    /// low, close, volume)`, `ts` as little-endian i64 milliseconds and the rest as little-endian
    /// f64 (numpy's `tobytes()`), so no Python object is made per row.
    #[staticmethod]
    #[allow(clippy::type_complexity, reason = "the shape numpy hands over")]
    fn from_columns(
        config_json: &str,
        columns: Vec<(String, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>)>,
    ) -> PyResult<Self> {
        guard(|| {
            let f = |b: &[u8]| words(b).map(f64::from_le_bytes).collect::<Vec<f64>>();
            let columns = columns
                .into_iter()
                .map(|(symbol, ts, o, h, l, c, v)| wire::Columns {
                    symbol,
                    ts: words(&ts).map(i64::from_le_bytes).collect(),
                    ohlcv: [f(&o), f(&h), f(&l), f(&c), f(&v)],
                })
                .collect();
            Ok(PyScenario { inner: Arc::new(ok(wire::scenario_from_columns(config_json, columns))?) })
        })
    }

    /// The hosted API's scenario object, JSON.
    fn info_json(&self) -> PyResult<String> {
        guard(|| Ok(dump(&self.inner.info())))
    }

    /// Every series, JSON list of `{symbol, bars}`.
    fn series_json(&self) -> PyResult<String> {
        guard(|| Ok(dump(&self.inner.series())))
    }

    /// The fingerprint, hex.
    fn fingerprint(&self) -> PyResult<String> {
        guard(|| Ok(format!("{:016x}", self.inner.fingerprint())))
    }
}

/// A run over a scenario: agents, orders, steps, results.
#[pyclass(module = "vectrade._native", name = "Run")]
pub(crate) struct PyRun {
    pub(crate) inner: Run,
}

fn agent(id: usize) -> AgentId {
    AgentId(id)
}

/// 8-byte words of a little-endian buffer (a trailing partial word is ignored: numpy never makes one).
pub(crate) fn words(bytes: &[u8]) -> impl Iterator<Item = [u8; 8]> + '_ {
    bytes.chunks_exact(8).map(|c| c.try_into().expect("chunks of 8"))
}

/// `values` as one `bytes` of little-endian 8-byte words, written in place (numpy's `frombuffer`
/// reads them without a copy).
pub(crate) fn le_words<'py, T: Copy>(
    py: Python<'py>,
    values: &[T],
    word: fn(T) -> [u8; 8],
) -> PyResult<Bound<'py, PyBytes>> {
    let fill = |buf: &mut [u8]| {
        for (chunk, &v) in buf.chunks_exact_mut(8).zip(values) {
            chunk.copy_from_slice(&word(v));
        }
        Ok(())
    };
    PyBytes::new_with(py, values.len() * 8, fill)
}

impl PyRun {
    /// A run for Python: Ctrl-C stops its steps between bars ([`ctrl_c`]).
    pub(crate) fn of(mut inner: Run) -> Self {
        inner.set_interrupt(Some(ctrl_c()));
        PyRun { inner }
    }

    fn series_symbol(&self, index: usize) -> PyResult<&str> {
        self.inner
            .scenario()
            .series()
            .get(index)
            .map(|s| s.symbol.as_str())
            .ok_or_else(|| raise(Error::new(ErrorKind::UnknownSymbol, format!("no symbol with index {index}"))))
    }
}

#[pymethods]
impl PyRun {
    #[new]
    #[pyo3(signature = (scenario, options_json=None))]
    fn new(scenario: &PyScenario, options_json: Option<&str>) -> PyResult<Self> {
        guard(|| {
            let options = ok(wire::run_options(options_json))?;
            Ok(PyRun::of(ok(Run::with_options(scenario.inner.clone(), options))?))
        })
    }

    /// Adds an agent with a risk profile (JSON); returns its id.
    fn add_agent(&mut self, name: &str, risk_json: &str) -> PyResult<usize> {
        guard(|| {
            let profile = parse("risk profile", risk_json)?;
            Ok(ok(self.inner.add_agent(name, profile))?.0)
        })
    }

    fn clone_agent(&mut self, id: usize, name: &str) -> PyResult<usize> {
        guard(|| Ok(ok(self.inner.clone_agent(agent(id), name))?.0))
    }

    fn reset_agent(&mut self, id: usize) -> PyResult<()> {
        guard(|| ok(self.inner.reset_agent(agent(id))))
    }

    fn set_risk_profile(&mut self, id: usize, risk_json: &str) -> PyResult<()> {
        guard(|| {
            let profile = parse("risk profile", risk_json)?;
            ok(self.inner.set_risk_profile(agent(id), profile))
        })
    }

    fn agent_names(&self) -> PyResult<Vec<String>> {
        guard(|| {
            let e = self.inner.engine();
            (0..e.agent_count()).map(|k| ok(e.agent_name(agent(k)).map(String::from))).collect()
        })
    }

    fn risk_profile_json(&self, id: usize) -> PyResult<String> {
        guard(|| ok(wire::run::risk_profile(&self.inner, agent(id))))
    }

    /// Queues an order (JSON `OrderRequest`); returns the order, JSON.
    #[pyo3(signature = (id, order_json, idempotency_key=None))]
    fn submit(&mut self, id: usize, order_json: &str, idempotency_key: Option<&str>) -> PyResult<String> {
        guard(|| ok(wire::submit(&mut self.inner, agent(id), order_json, idempotency_key)))
    }

    /// The fast path of the callback API's `ctx.buy(...)` & co.: a market order, or a limit order
    /// with `limit`, in the series `index`; returns the order id. `quantity` and `limit` arrive as
    /// int or Decimal (checked by the Python layer) and are read exactly ([`exact_decimal`]).
    #[pyo3(signature = (id, index, side, quantity, limit=None))]
    fn submit_simple(
        &mut self,
        id: usize,
        index: usize,
        side: &str,
        quantity: &Bound<'_, PyAny>,
        limit: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        guard(|| {
            let quantity = exact_decimal(quantity, "quantity")?;
            let limit = limit.map(|l| exact_decimal(l, "limit")).transpose()?;
            ok(wire::run::submit_simple(&mut self.inner, agent(id), index, side, quantity, limit))
        })
    }

    #[pyo3(signature = (id, order_id, idempotency_key=None))]
    fn cancel(&mut self, id: usize, order_id: u64, idempotency_key: Option<&str>) -> PyResult<String> {
        guard(|| ok(wire::cancel(&mut self.inner, agent(id), order_id, idempotency_key)))
    }

    /// Advances up to `count` bars; returns the step report, JSON.
    #[pyo3(signature = (count=1, idempotency_key=None))]
    fn step(&mut self, count: u32, idempotency_key: Option<&str>) -> PyResult<String> {
        guard(|| ok(wire::step(&mut self.inner, count, idempotency_key)))
    }

    /// Advances up to `count` bars without a report; returns bars advanced.
    fn advance(&mut self, count: u32) -> PyResult<u32> {
        guard(|| ok(self.inner.advance(count)))
    }

    #[pyo3(signature = (max_bars=None, require_flat=None))]
    fn hold_until_end(&mut self, max_bars: Option<u32>, require_flat: Option<usize>) -> PyResult<String> {
        guard(|| ok(wire::run::hold_until_end(&mut self.inner, max_bars, require_flat.map(agent))))
    }

    #[pyo3(signature = (id, rationale, max_bars=None))]
    fn liquidate_and_finish(&mut self, id: usize, rationale: &str, max_bars: Option<u32>) -> PyResult<String> {
        guard(|| ok(wire::run::liquidate_and_finish(&mut self.inner, agent(id), rationale, max_bars)))
    }

    #[pyo3(signature = (max_bars=None))]
    fn advance_until_next_session(&mut self, max_bars: Option<u32>) -> PyResult<String> {
        guard(|| ok(wire::run::advance_until_next_session(&mut self.inner, max_bars)))
    }

    /// Bars up to `sim_time`, JSON `{sim_time, bars: [{symbol, bars}]}`.
    #[pyo3(signature = (symbols=None, lookback=50))]
    fn market_json(&mut self, symbols: Option<Vec<String>>, lookback: usize) -> PyResult<String> {
        guard(|| ok(wire::market(&mut self.inner, None, symbols.as_deref(), lookback)))
    }

    /// Like `market_json`, counted against the agent's request rate limit.
    #[pyo3(signature = (id, symbols=None, lookback=50))]
    fn market_for_json(&mut self, id: usize, symbols: Option<Vec<String>>, lookback: usize) -> PyResult<String> {
        guard(|| ok(wire::market(&mut self.inner, Some(agent(id)), symbols.as_deref(), lookback)))
    }

    fn portfolio_json(&self, id: usize) -> PyResult<String> {
        guard(|| ok(wire::run::portfolio(&self.inner, agent(id))))
    }

    fn orders_json(&self, id: usize) -> PyResult<String> {
        guard(|| ok(wire::run::orders(&self.inner, agent(id))))
    }

    fn order_json(&self, id: usize, order_id: u64) -> PyResult<String> {
        guard(|| ok(wire::run::order(&self.inner, agent(id), order_id)))
    }

    fn open_orders_json(&self, id: usize) -> PyResult<String> {
        guard(|| ok(wire::run::open_orders(&self.inner, agent(id))))
    }

    fn fills_json(&self, id: usize) -> PyResult<String> {
        guard(|| ok(wire::run::fills(&self.inner, agent(id))))
    }

    fn equity_curve_json(&self, id: usize) -> PyResult<String> {
        guard(|| ok(wire::run::equity_curve(&self.inner, agent(id))))
    }

    fn status(&self, id: usize) -> PyResult<String> {
        guard(|| ok(wire::status(&self.inner, agent(id))))
    }

    fn trades_json(&self, id: usize) -> PyResult<String> {
        guard(|| ok(wire::run::trades(&self.inner, agent(id))))
    }

    fn metrics_json(&self, id: usize) -> PyResult<String> {
        guard(|| ok(wire::run::metrics(&self.inner, agent(id))))
    }

    fn results_json(&self, id: usize) -> PyResult<String> {
        guard(|| ok(wire::run::results(&self.inner, agent(id))))
    }

    #[getter]
    fn done(&self) -> PyResult<bool> {
        guard(|| Ok(self.inner.is_done()))
    }

    #[getter]
    fn sim_time(&self) -> PyResult<i64> {
        guard(|| Ok(self.inner.sim_time()))
    }

    #[getter]
    fn step_index(&self) -> PyResult<usize> {
        guard(|| Ok(self.inner.step_index()))
    }

    /// The equity curve as columns: (ts i64 ms, equity f64, gross exposure f64, drawdown f64 as
    /// the metrics define it), little-endian bytes for numpy's `frombuffer`. Floats are for analysis
    /// and plots; `equity_curve_json` is exact.
    #[allow(clippy::type_complexity, reason = "four byte columns")]
    fn equity_columns(
        &self,
        py: Python<'_>,
        id: usize,
    ) -> PyResult<(Py<PyBytes>, Py<PyBytes>, Py<PyBytes>, Py<PyBytes>)> {
        guard(|| {
            let [ts, eq, gross, dd] = ok(wire::run::equity_columns(&self.inner, agent(id)))?;
            let b = |v: &[f64]| le_words(py, v, f64::to_le_bytes).map(Bound::unbind);
            Ok((le_words(py, &ts, |t| (t as i64).to_le_bytes())?.unbind(), b(&eq)?, b(&gross)?, b(&dd)?))
        })
    }

    /// Index of an observable symbol (universe, then benchmark), for the fast getters below.
    fn symbol_index(&self, symbol: &str) -> PyResult<usize> {
        guard(|| ok(self.inner.series_index(symbol)))
    }

    /// The last `n` closes of a symbol up to `sim_time`, as floats (for indicators; money stays
    /// Decimal everywhere else).
    fn closes_f64(&self, index: usize, n: usize) -> PyResult<Vec<f64>> {
        guard(|| ok(wire::run::closes_f64(&self.inner, index, n)))
    }

    /// One field (`open`, `high`, `low`, `close` or `volume`) of every bar of a symbol, future
    /// ones included, as little-endian f64 bytes — for precomputing causal indicators; the
    /// `Indicator` reveals its values up to the current bar only.
    fn column_f64<'py>(&self, py: Python<'py>, index: usize, field: &str) -> PyResult<Bound<'py, PyBytes>> {
        guard(|| {
            let values = ok(wire::data::column(self.inner.scenario(), index, field))?;
            le_words(py, &values, f64::to_le_bytes)
        })
    }

    /// The scenario's timeline (every bar time of any symbol), little-endian i64 milliseconds.
    fn timeline_ts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        guard(|| le_words(py, self.inner.scenario().timeline(), i64::to_le_bytes))
    }

    /// The latest close of a symbol as a float, or None before its first bar.
    fn close_f64(&self, index: usize) -> PyResult<Option<f64>> {
        guard(|| ok(wire::run::close_f64(&self.inner, index)))
    }

    /// The latest bar of a symbol, exact: (ts_ms, open, high, low, close, volume).
    #[allow(clippy::type_complexity, reason = "a plain tuple is the cheapest shape to hand to Python")]
    fn last_bar(&self, index: usize) -> PyResult<Option<(i64, Decimal, Decimal, Decimal, Decimal, Decimal)>> {
        guard(|| {
            let symbol = self.series_symbol(index)?;
            Ok(ok(self.inner.bars(symbol, 1))?.last().map(|b| (b.ts, b.open, b.high, b.low, b.close, b.volume)))
        })
    }

    /// Signed position of the agent in a universe symbol.
    fn position(&self, id: usize, index: usize) -> PyResult<Decimal> {
        guard(|| ok(wire::run::position(&self.inner, agent(id), index)))
    }

    fn cash(&self, id: usize) -> PyResult<Decimal> {
        guard(|| ok(wire::run::cash(&self.inner, agent(id))))
    }

    /// Equity at the latest closes.
    fn equity(&self, id: usize) -> PyResult<Decimal> {
        guard(|| ok(wire::run::equity(&self.inner, agent(id))))
    }

    fn snapshot_json(&self) -> PyResult<String> {
        guard(|| Ok(self.inner.snapshot_json()))
    }

    #[staticmethod]
    fn restore(scenario: &PyScenario, snapshot_json: &str) -> PyResult<Self> {
        guard(|| Ok(PyRun::of(ok(Run::restore_json(scenario.inner.clone(), snapshot_json))?)))
    }
}

/// Runs entry/exit flags (bytes, one per bar of `symbol`: 0 or 1, numpy's bool `tobytes()`) as a
/// signal backtest in the engine; returns the finished run (its agent has id 0).
#[pyfunction]
#[pyo3(signature = (scenario, symbol, size_json, entries, exits, short_entries=None, short_exits=None, options_json=None, stops_json=None))]
#[allow(clippy::too_many_arguments, reason = "mirrors the Python signature one to one")]
fn backtest_signals(
    py: Python<'_>,
    scenario: &PyScenario,
    symbol: &str,
    size_json: &str,
    entries: Vec<u8>,
    exits: Vec<u8>,
    short_entries: Option<Vec<u8>>,
    short_exits: Option<Vec<u8>>,
    options_json: Option<&str>,
    stops_json: Option<&str>,
) -> PyResult<PyRun> {
    guard(|| {
        let request = wire::data::SignalRequest {
            symbol,
            size_json,
            columns: 1,
            entries: &entries,
            exits: &exits,
            short_entries: short_entries.as_deref(),
            short_exits: short_exits.as_deref(),
            options_json,
            stops_json,
        };
        let scenario = scenario.inner.clone();
        // The whole run happens in Rust; other Python threads may go on meanwhile, and Ctrl-C stops it.
        let run = ok(py.detach(|| wire::data::signal_run(scenario, &request, Some(ctrl_c()))))?;
        Ok(PyRun::of(run))
    })
}

/// Runs `columns` signal backtests of `symbol` (flags as bytes, column after column: column `j` is
/// `entries[j*bars..(j+1)*bars]`) on `threads` threads (0: one per core) and returns their grades as
/// a JSON array in column order. Ctrl-C stops every column within a few milliseconds.
#[pyfunction]
#[pyo3(signature = (scenario, symbol, size_json, columns, entries, exits, short_entries=None, short_exits=None, options_json=None, threads=0, stops_json=None))]
#[allow(clippy::too_many_arguments, reason = "mirrors the Python signature one to one")]
fn sweep_signals(
    py: Python<'_>,
    scenario: &PyScenario,
    symbol: &str,
    size_json: &str,
    columns: usize,
    entries: Vec<u8>,
    exits: Vec<u8>,
    short_entries: Option<Vec<u8>>,
    short_exits: Option<Vec<u8>>,
    options_json: Option<&str>,
    threads: usize,
    stops_json: Option<&str>,
) -> PyResult<String> {
    guard(|| {
        let request = wire::data::SignalRequest {
            symbol,
            size_json,
            columns,
            entries: &entries,
            exits: &exits,
            short_entries: short_entries.as_deref(),
            short_exits: short_exits.as_deref(),
            options_json,
            stops_json,
        };
        let scenario = scenario.inner.clone();
        // The columns run on the engine's threads; this thread watches for Ctrl-C meanwhile (Python
        // delivers signals to the main thread only) and stops them through a flag.
        let stop = Arc::new(AtomicBool::new(false));
        let interrupt = Interrupt::on_flag(stop.clone());
        let mut signal: Option<PyErr> = None;
        let graded = py.detach(|| {
            std::thread::scope(|s| {
                let work = s.spawn(|| wire::data::sweep(scenario, &request, threads, Some(interrupt)));
                while !work.is_finished() {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                    if signal.is_none()
                        && let Err(e) = Python::attach(|py| py.check_signals())
                    {
                        signal = Some(e);
                        stop.store(true, Ordering::Relaxed);
                    }
                }
                // A panic on a sweep thread goes on here, where the guard turns it into InternalError.
                work.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
        });
        if let Some(e) = signal {
            return Err(e);
        }
        ok(graded)
    })
}

/// Prefix lengths an indicator is recomputed on to check it is causal (`reveal::causality_cuts`).
#[pyfunction]
fn causality_cuts(n: usize) -> PyResult<Vec<usize>> {
    guard(|| Ok(vectrade_core::reveal::causality_cuts(n)))
}

/// The built-in catalog: (slug, name, description) per entry.
#[pyfunction]
fn catalog_entries() -> PyResult<Vec<(String, String, String)>> {
    guard(|| Ok(wire::catalog_entries()))
}

/// Every error code with its family, in declaration order.
#[pyfunction]
fn error_codes() -> PyResult<Vec<(&'static str, &'static str)>> {
    guard(|| Ok(wire::error_codes()))
}

/// Bars from OHLCV CSV text, JSON list of `{symbol, bars}`; without a symbol column the bars go to
/// `default_symbol`.
#[pyfunction]
#[pyo3(signature = (csv_text, default_symbol=None))]
fn parse_csv(csv_text: &str, default_symbol: Option<&str>) -> PyResult<String> {
    guard(|| Ok(dump(&ok(csv::parse_multi_with(csv_text, default_symbol))?)))
}

/// The config (JSON) of a scenario made from a user's bars under `rules_json` (the core's `Rules`),
/// the first series' bar times given as little-endian i64 milliseconds.
#[pyfunction]
fn config_from_rules(rules_json: &str, symbols: Vec<String>, times: Vec<u8>) -> PyResult<String> {
    guard(|| {
        let times: Vec<i64> = words(&times).map(i64::from_le_bytes).collect();
        ok(wire::config_from_rules(rules_json, &symbols, &times))
    })
}

/// Parses RFC 3339 text (or a date) into UTC milliseconds.
#[pyfunction]
fn parse_timestamp(text: &str) -> PyResult<i64> {
    guard(|| ok(vectrade_core::time::parse_timestamp(text)))
}

/// Renders UTC milliseconds as RFC 3339.
#[pyfunction]
fn format_timestamp(ms: i64) -> PyResult<String> {
    guard(|| Ok(vectrade_core::time::format_rfc3339(ms)))
}

/// Serves the local VecTrade API until Ctrl-C or SIGTERM (the `vectrade serve` command): the same
/// server as the `vectrade-server` binary, linked into this module.
#[pyfunction]
#[pyo3(signature = (db, host, port, market, bar_interval, market_csv = None, market_symbol = None, secret_file = None))]
#[allow(clippy::too_many_arguments)] // the command's options, one for one
fn serve(
    py: Python<'_>,
    db: String,
    host: String,
    port: u16,
    market: String,
    bar_interval: &str,
    market_csv: Option<String>,
    market_symbol: Option<String>,
    secret_file: Option<String>,
) -> PyResult<()> {
    guard(|| {
        let bar_interval =
            vectrade_server::parse_bar_interval(bar_interval).map_err(pyo3::exceptions::PyValueError::new_err)?;
        let market = match market_csv {
            Some(path) => vectrade_server::MarketSource::Csv { path: path.into(), symbol: market_symbol },
            None => vectrade_server::MarketSource::Builtin(market),
        };
        let config = vectrade_server::ServerConfig {
            db: db.into(),
            secret_file: secret_file.map(Into::into),
            host,
            port,
            market,
            bar_interval,
            shared: false,
            advertise_url: None,
        };
        py.detach(|| {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(vectrade_server::serve(config)).map_err(|e| std::io::Error::other(e.0))
        })
        .map_err(|e: std::io::Error| pyo3::exceptions::PyOSError::new_err(e.to_string()))
    })
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(serve, m)?)?;
    let py = m.py();
    m.add("VecTradeError", py.get_type::<VecTradeError>())?;
    m.add("InvalidInput", py.get_type::<InvalidInput>())?;
    m.add("OrderRejected", py.get_type::<OrderRejected>())?;
    m.add("RiskLimitExceeded", py.get_type::<RiskLimitExceeded>())?;
    m.add("RateLimited", py.get_type::<RateLimited>())?;
    m.add("Conflict", py.get_type::<Conflict>())?;
    m.add("IdempotencyConflict", py.get_type::<IdempotencyConflict>())?;
    m.add("NotFound", py.get_type::<NotFound>())?;
    m.add("InvalidState", py.get_type::<InvalidState>())?;
    m.add("RunFinished", py.get_type::<RunFinished>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    #[cfg(feature = "test-hooks")]
    m.add_function(wrap_pyfunction!(guard::_panic_for_tests, m)?)?;
    m.add_class::<PyScenario>()?;
    m.add_class::<PyRun>()?;
    m.add_class::<strategy::Clock>()?;
    m.add_class::<strategy::Indicator>()?;
    m.add_function(wrap_pyfunction!(strategy::crossover, m)?)?;
    m.add_function(wrap_pyfunction!(strategy::crossings, m)?)?;
    m.add_function(wrap_pyfunction!(strategy::drive, m)?)?;
    m.add_function(wrap_pyfunction!(catalog_entries, m)?)?;
    m.add_function(wrap_pyfunction!(causality_cuts, m)?)?;
    m.add_function(wrap_pyfunction!(error_codes, m)?)?;
    m.add_function(wrap_pyfunction!(parse_timestamp, m)?)?;
    m.add_function(wrap_pyfunction!(parse_csv, m)?)?;
    m.add_function(wrap_pyfunction!(config_from_rules, m)?)?;
    m.add_function(wrap_pyfunction!(backtest_signals, m)?)?;
    m.add_function(wrap_pyfunction!(sweep_signals, m)?)?;
    m.add_function(wrap_pyfunction!(format_timestamp, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
