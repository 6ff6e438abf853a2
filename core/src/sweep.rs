//! Parameter sweeps of signal backtests: one independent run per column of flags (one column per
//! combination of parameters, as vectorbt broadcasts them), graded each. With the `parallel`
//! feature (the native builds) the columns run on a pool of threads; without it (WebAssembly) one
//! after the other. Each run is the deterministic run [`backtest_signals`] makes alone, so the
//! grades are the same whatever the number of threads, and in column order.

use std::sync::Arc;

use crate::error::{ErrorKind, Result, err};
use crate::interrupt::Interrupt;
use crate::limits::MAX_SWEEP_COLUMNS;
use crate::run::{RunOptions, RunResults};
use crate::scenario::Scenario;
use crate::signals::{SignalSize, Signals, backtest_signals_interruptible};

/// How a sweep runs: `threads` 0 means one per core (ignored without the `parallel` feature).
#[derive(Debug, Clone, Default)]
pub struct SweepOptions {
    /// The run options of every column.
    pub run: RunOptions,
    /// Threads to run columns on; 0 for one per core.
    pub threads: usize,
    /// The host's check, asked by every run between bars.
    pub interrupt: Option<Interrupt>,
}

/// Runs each column of `columns` as a signal backtest of `symbol` and returns their grades in
/// column order. The first error (in column order) is returned instead, whatever the threads met.
pub fn sweep_signals(
    scenario: Arc<Scenario>,
    symbol: &str,
    columns: &[Signals],
    size: SignalSize,
    options: &SweepOptions,
) -> Result<Vec<RunResults>> {
    if columns.is_empty() {
        return err(ErrorKind::InvalidArgument, "a sweep needs at least one column of flags");
    }
    if columns.len() > MAX_SWEEP_COLUMNS {
        return err(
            ErrorKind::InvalidCount,
            format!("{} columns is more than a sweep takes ({MAX_SWEEP_COLUMNS})", columns.len()),
        );
    }
    let one = |signals: &Signals| -> Result<RunResults> {
        let (run, agent) = backtest_signals_interruptible(
            scenario.clone(),
            symbol,
            signals,
            size,
            options.run,
            options.interrupt.clone(),
        )?;
        run.results(agent)
    };
    let graded: Vec<Result<RunResults>> = run_columns(columns, options.threads, one)?;
    graded.into_iter().collect()
}

#[cfg(feature = "parallel")]
fn run_columns(
    columns: &[Signals],
    threads: usize,
    one: impl Fn(&Signals) -> Result<RunResults> + Sync,
) -> Result<Vec<Result<RunResults>>> {
    use rayon::prelude::*;

    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().map_err(|e| {
        crate::error::Error::new(ErrorKind::InvalidArgument, format!("cannot start the sweep's threads: {e}"))
    })?;
    // `collect` keeps the columns' order whatever thread ran which.
    Ok(pool.install(|| columns.par_iter().map(&one).collect()))
}

#[cfg(not(feature = "parallel"))]
fn run_columns(
    columns: &[Signals],
    _threads: usize,
    one: impl Fn(&Signals) -> Result<RunResults>,
) -> Result<Vec<Result<RunResults>>> {
    Ok(columns.iter().map(one).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;

    fn crossings(closes: &[f64], fast: usize, slow: usize) -> Signals {
        let sma = |n: usize, i: usize| (i + 1 >= n).then(|| closes[i + 1 - n..=i].iter().sum::<f64>() / n as f64);
        let above: Vec<Option<bool>> = (0..closes.len()).map(|i| Some(sma(fast, i)? > sma(slow, i)?)).collect();
        let edge = |want: bool| -> Vec<bool> {
            (0..closes.len()).map(|i| i > 0 && above[i] == Some(want) && above[i - 1] == Some(!want)).collect()
        };
        Signals { entries: edge(true), exits: edge(false), ..Signals::default() }
    }

    #[test]
    fn a_sweep_grades_each_column_as_its_own_run_whatever_the_threads() {
        let scenario = Arc::new(catalog::get("tech-2024-q2").unwrap());
        let series = scenario.config().universe.iter().position(|s| s == "NVDA").unwrap();
        let closes: Vec<f64> = scenario.series()[series].bars.iter().map(|b| crate::num::to_f64(b.close)).collect();
        let columns: Vec<Signals> =
            [(3, 10), (5, 20), (8, 30), (2, 7), (10, 40)].iter().map(|&(f, s)| crossings(&closes, f, s)).collect();
        let size = SignalSize::Units(rust_decimal::Decimal::from(10));
        let alone: Vec<RunResults> = columns
            .iter()
            .map(|c| {
                let (run, agent) =
                    crate::backtest_signals(scenario.clone(), "NVDA", c, size, RunOptions::default()).unwrap();
                run.results(agent).unwrap()
            })
            .collect();
        for threads in [1, 2, 3, 0] {
            let options = SweepOptions { threads, ..SweepOptions::default() };
            let swept = sweep_signals(scenario.clone(), "NVDA", &columns, size, &options).unwrap();
            assert_eq!(swept, alone, "{threads} threads");
        }
        assert!(alone.iter().any(|r| r.trade_count > 0));
    }

    #[test]
    fn the_first_bad_column_is_the_error_and_empty_or_huge_sweeps_are_refused() {
        let scenario = Arc::new(catalog::get("tech-2024-q2").unwrap());
        let size = SignalSize::Units(rust_decimal::Decimal::ONE);
        let bars = scenario.series()[0].bars.len();
        let good = Signals { entries: vec![false; bars], exits: vec![false; bars], ..Signals::default() };
        let short = Signals { entries: vec![false; 3], exits: vec![false; 3], ..Signals::default() };
        let e = sweep_signals(scenario.clone(), "AAPL", &[good.clone(), short], size, &SweepOptions::default())
            .unwrap_err();
        assert_eq!(e.code(), "invalid_argument");
        assert!(e.detail.contains("3 flags"), "{}", e.detail);
        let e = sweep_signals(scenario.clone(), "AAPL", &[], size, &SweepOptions::default()).unwrap_err();
        assert_eq!(e.code(), "invalid_argument");
        let many = vec![good; MAX_SWEEP_COLUMNS + 1];
        assert_eq!(
            sweep_signals(scenario, "AAPL", &many, size, &SweepOptions::default()).unwrap_err().code(),
            "invalid_count"
        );
    }
}
