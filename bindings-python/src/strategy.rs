//! The callback loop of `vectrade.backtest`: the bar loop runs here, in Rust, and calls the
//! strategy's `on_bar(ctx)` once per bar (or only at the bars its wake indicators fire), so a
//! bar costs one Python call plus what the strategy itself does. Indicators are the core's
//! `Revealed` values behind a shared clock: reading one is an index, never a copy.

use std::sync::atomic::{AtomicUsize, Ordering};

use pyo3::exceptions::PyIndexError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PySlice, PyString};
use vectrade_core::reveal::{self, Revealed};
use vectrade_core::{Error, ErrorKind, wire};

use crate::{PyRun, guard, ok, raise};
use pyo3::PyRefMut;

/// The step a callback backtest is at, shared by the context and every indicator of the run.
#[pyclass(module = "vectrade._native", name = "Clock", frozen)]
pub(crate) struct Clock {
    step: AtomicUsize,
}

#[pymethods]
impl Clock {
    #[new]
    fn new() -> PyResult<Self> {
        guard(|| Ok(Clock { step: AtomicUsize::new(0) }))
    }

    /// The step (0 for the scenario's first bar time).
    #[getter]
    fn step(&self) -> PyResult<usize> {
        guard(|| Ok(self.step.load(Ordering::Relaxed)))
    }
}

/// A causal indicator over one symbol, computed once over the whole series and revealed bar by
/// bar like backtesting.py's `self.I`: `ind[-1]` is its value at the current bar, `ind[-2]` the bar
/// before, `ind[-k:]` the last k values as a list; values after the current bar cannot be reached.
/// Made by `Context.indicator`.
#[pyclass(module = "vectrade._native", name = "Indicator", frozen, sequence)]
pub(crate) struct Indicator {
    inner: Revealed,
    clock: Py<Clock>,
}

impl Indicator {
    fn seen(&self) -> &[f64] {
        self.inner.visible(self.clock.get().step.load(Ordering::Relaxed))
    }
}

#[pymethods]
impl Indicator {
    /// `values`: one float per bar of the run's series `series` (little-endian f64 bytes).
    #[new]
    fn new(run: &PyRun, series: usize, values: &[u8], clock: Py<Clock>) -> PyResult<Self> {
        guard(|| {
            let values = crate::words(values).map(f64::from_le_bytes).collect();
            Ok(Indicator { inner: ok(Revealed::of_series(values, run.inner.scenario(), series))?, clock })
        })
    }

    /// Bars revealed so far.
    fn __len__(&self) -> PyResult<usize> {
        guard(|| Ok(self.seen().len()))
    }

    /// `ind[-1]` now, `ind[-k]` k−1 bars ago, `ind[-k:]` the last k values as a list.
    fn __getitem__<'py>(&self, py: Python<'py>, index: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let seen = self.seen();
            if let Ok(k) = index.extract::<isize>() {
                let n = seen.len() as isize;
                if k >= 0 || -k > n {
                    return Err(PyIndexError::new_err(format!(
                        "indicator index must be -1 (this bar) down to -{n}, got {k}"
                    )));
                }
                return Ok(seen[(n + k) as usize].into_pyobject(py)?.into_any());
            }
            if let Ok(slice) = index.cast::<PySlice>() {
                let s = slice.indices(seen.len() as isize)?;
                let picked = (0..s.slicelength).map(|i| seen[(s.start + i as isize * s.step) as usize]);
                return Ok(PyList::new(py, picked)?.into_any());
            }
            Err(PyIndexError::new_err(format!("indicator index must be an integer or a slice, got {}", index.repr()?)))
        })
    }

    /// The values revealed so far, oldest first.
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(|| PyList::new(py, self.seen())?.as_any().try_iter().map(Bound::into_any))
    }

    fn __repr__(&self) -> PyResult<String> {
        guard(|| {
            Ok({
                let seen = self.seen();
                match seen.last() {
                    Some(v) => format!("Indicator({} bars revealed, now {v:?})", seen.len()),
                    None => "Indicator(0 bars revealed, now None)".to_string(),
                }
            })
        })
    }
}

/// One side of `crossover`: the last two revealed values of an indicator (fewer at its start) or a
/// constant level twice, and how many of the two there are (kept at the end of the array).
fn last_two(side: &Bound<'_, PyAny>) -> PyResult<([f64; 2], usize)> {
    if let Ok(ind) = side.cast::<Indicator>() {
        return Ok(match *ind.get().seen() {
            [.., x, y] => ([x, y], 2),
            [y] => ([f64::NAN, y], 1),
            [] => ([f64::NAN; 2], 0),
        });
    }
    if let Ok(level) = side.extract::<f64>() {
        return Ok(([level, level], 2));
    }
    // A series as numpy, pandas or a list holds it: its last two values, as backtesting.py reads it.
    if !side.is_instance_of::<PyString>()
        && let Ok(n) = side.len()
    {
        let at = |i: isize| -> PyResult<f64> { side.get_item(i)?.extract::<f64>() };
        let pair = match n {
            0 => Ok(([f64::NAN; 2], 0)),
            1 => at(-1).map(|y| ([f64::NAN, y], 1)),
            _ => at(-2).and_then(|x| Ok(([x, at(-1)?], 2))),
        };
        if pair.is_ok() {
            return pair;
        }
    }
    let got = side.get_type().name()?;
    let detail = format!("crossover compares indicators, arrays of numbers or numbers, got {got}");
    Err(raise(Error::new(ErrorKind::InvalidArgument, detail)))
}

/// True when `a` has just crossed above `b` (an indicator or a number): below it at the previous
/// bar, above it at this one — backtesting.py's `crossover`.
#[pyfunction]
pub(crate) fn crossover(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<bool> {
    guard(|| {
        let ((a, na), (b, nb)) = (last_two(a)?, last_two(b)?);
        Ok(reveal::crossover(&a[2 - na..], &b[2 - nb..]))
    })
}

/// An indicator set (1.0) at the bars where `a` crosses `b` either way, 0.0 elsewhere — computed
/// in the engine from the two indicators' values, for `Context.wake_on`. Both must be revealed at
/// the same bars (one symbol, or symbols sharing their bar times).
#[pyfunction]
pub(crate) fn crossings(a: &Bound<'_, Indicator>, b: &Bound<'_, Indicator>) -> PyResult<Indicator> {
    guard(|| {
        let py = a.py();
        let (a, b) = (a.get(), b.get());
        if !a.clock.is(&b.clock) {
            return Err(raise(Error::new(ErrorKind::InvalidArgument, "crossings compares indicators of one backtest")));
        }
        Ok(Indicator { inner: ok(Revealed::crossings(&a.inner, &b.inner))?, clock: a.clock.clone_ref(py) })
    })
}

/// The run inside a borrowed `PyRun`, for the core's callback loop.
struct RunMut<'py>(PyRefMut<'py, PyRun>);

impl std::ops::Deref for RunMut<'_> {
    type Target = vectrade_core::Run;
    fn deref(&self) -> &Self::Target {
        &self.0.inner
    }
}

impl std::ops::DerefMut for RunMut<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0.inner
    }
}

/// Runs `on_bar(ctx)` and one step of `run`, bar after bar, until the run is over (the core's
/// `wire::data::drive`). With `wake` indicators, `on_bar` is only called at the steps where one of
/// them fires (a new bar with a value that is neither zero nor NaN); the engine still steps every
/// bar. `progress(done, total)` is called every `every` steps. An exception from `on_bar` stops
/// the loop at that bar; Ctrl-C stops it too.
#[pyfunction]
#[pyo3(signature = (run, on_bar, ctx, clock, wake, progress=None, every=0))]
#[allow(clippy::too_many_arguments, reason = "mirrors the Python call one to one")]
pub(crate) fn drive(
    py: Python<'_>,
    run: &Bound<'_, PyRun>,
    on_bar: &Bound<'_, PyAny>,
    ctx: &Bound<'_, PyAny>,
    clock: &Bound<'_, Clock>,
    wake: Vec<Py<Indicator>>,
    progress: Option<&Bound<'_, PyAny>>,
    every: u32,
) -> PyResult<()> {
    guard(|| {
        let steps = run.borrow().inner.scenario().timeline().len();
        let (calls, jumps) = {
            let wake: Vec<&Revealed> = wake.iter().map(|w| &w.get().inner).collect();
            reveal::wake_plan(steps, &wake, 4096)
        };
        wire::data::drive(
            || {
                py.check_signals()?; // Ctrl-C stops a long backtest
                Ok(RunMut(run.try_borrow_mut()?))
            },
            &calls,
            &jumps,
            every,
            |step| {
                clock.get().step.store(step as usize, Ordering::Relaxed);
                on_bar.call1((ctx,)).map(|_| ())
            },
            progress.map(|report| move |done: u32, total: u32| report.call1((done, total)).map(|_| ())),
            raise,
        )
    })
}
