//! Performance metrics of one run: returns, risk, drawdowns, trade statistics and benchmark alpha/beta.
//!
//! Everything is computed from the equity curve (one point per bar close, point 0 = starting cash) and
//! from the closed round trips. Money stays [`Decimal`]; ratios are `f64`, computed deterministically:
//! `sqrt` and `pow` come from the portable `libm` crate, every sum is a plain left-to-right loop, and
//! `Decimal → f64` is [`crate::num::to_f64`] (correctly rounded, pure Rust, no platform math library). The
//! same input therefore gives byte-identical output on native targets and WebAssembly.
//!
//! Conventions shared by every metric:
//! - **Units** are written next to each field of [`Metrics`]: `_pct` fields are percents (`21.0` means
//!   21 %), `max_drawdown` is a positive fraction (`0.087`), money fields are `Decimal` in the account
//!   currency, ratios (Sharpe, Sortino, Calmar, beta, profit factor, turnover) are plain numbers.
//! - **Annualisation** uses `periods_per_year`, the number of bars per year of the scenario's market
//!   hours and bar resolution (252 for daily US equities, 1764 for hourly ones), never a fixed √252.
//! - **No NaN or infinity** ever leaves this module (JSON cannot carry them): undefined ratios are `0`
//!   or `None` as documented per field, and a result too large for `f64` saturates at `±f64::MAX`.
//! - Fewer than two equity points means no returns: every return/risk metric is `0`.

use std::cmp::Ordering;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::account::Curve;
use crate::bar::Bar;
use crate::num::{DecimalSum, cmp, diff_to_f64, is_non_positive, to_f64};

/// Milliseconds in a year of 365.25 days, the year used by [`Metrics::cagr_pct`].
pub const MS_PER_YEAR: f64 = 365.25 * 86_400_000.0;

/// What [`compute`] needs: the equity curve of one account and the statistics of its trades.
///
/// The curve is borrowed as the engine holds it — nothing of a million-bar run is copied to grade
/// it — and the benchmark is its bars, read at each point's time.
#[derive(Debug, Clone, Copy, Default)]
pub struct MetricsInput<'a> {
    /// One point per bar close, ascending in time; point 0 is the start of the run (the starting
    /// cash). Equity is marked at bar close; gross exposure is `Σ |position value|`. Money.
    pub curve: Curve<'a>,
    /// Bars of the benchmark, ascending, for its buy-and-hold return, alpha and beta. Each point
    /// takes the close of the benchmark's latest bar at or before its time (its first close before
    /// its first bar). Price.
    pub benchmark: Option<&'a [Bar]>,
    /// Net PnL (after fees) of each closed round trip, in closing order. Money.
    pub trade_pnls: &'a [Decimal],
    /// Return of each closed round trip in percent, same order as `trade_pnls`.
    pub trade_returns_pct: &'a [f64],
    /// Total commissions paid. Money.
    pub fees: Decimal,
    /// `Σ |quantity × price|` over all fills. Money.
    pub traded_notional: Decimal,
    /// Number of fills.
    pub fill_count: usize,
    /// Bars per year of the scenario's market hours at its bar resolution (see
    /// `MarketHours::periods_per_year`). A non-finite or non-positive value disables annualisation
    /// (annualised metrics become 0).
    pub periods_per_year: f64,
    /// Annual risk-free rate as a fraction (`0.04` = 4 %), default 0. A non-finite value or one
    /// `<= -1` is treated as 0.
    pub risk_free_rate_annual: f64,
}

/// The metrics of one run. Units are part of the contract and given on every field.
///
/// Notation: `E_0..E_n` are the equity points, `r_1..r_n` the per-bar simple returns from [`returns`],
/// `N = n` the number of returns ([`Metrics::bars`]), `P` = `periods_per_year`, `rf_bar =
/// (1 + rf_annual)^(1/P) − 1` the per-bar risk-free rate and `x_i = r_i − rf_bar` the excess returns.
/// `mean` is the arithmetic mean and `sd` the sample standard deviation (divisor `N − 1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// `E_0`, the equity at the start of the run. Money.
    pub starting_equity: Decimal,
    /// `E_n`, the equity at the last point. Money.
    pub final_equity: Decimal,
    /// `(E_n / E_0 − 1) × 100`, computed in `Decimal` then converted. **Percent**. 0 when `E_0 <= 0`.
    pub total_return_pct: f64,
    /// Compound annual growth rate `((E_n / E_0)^(1/years) − 1) × 100` with `years = (last timestamp −
    /// first timestamp) / (365.25 days)`. **Percent**. 0 when the elapsed time is 0 or `E_0 <= 0`;
    /// −100 when `E_n <= 0`. Short runs annualise explosively; saturates at `f64::MAX`.
    pub cagr_pct: f64,
    /// Annualised volatility `sd(r) × √P × 100`. **Percent**. 0 with fewer than 2 returns.
    pub volatility_pct: f64,
    /// Annualised Sharpe ratio `mean(x) / sd(x) × √P`. Ratio. 0 when `sd(x) = 0` or fewer than 2
    /// returns.
    pub sharpe: f64,
    /// Annualised Sortino ratio `mean(x) / DD × √P` with downside deviation `DD = √(Σ min(x_i, 0)² / N)`:
    /// the target is the risk-free rate (so with `rf = 0` it is `min(r_i, 0)`) and the divisor is the
    /// number of *all* returns, not only the negative ones. Ratio. 0 when `DD = 0` (no return below the
    /// target) or fewer than 2 returns.
    pub sortino: f64,
    /// Maximum drawdown `max_t (peak_t − E_t) / peak_t` with `peak_t = max(E_0..E_t)`, i.e. the maximum
    /// of [`drawdown_series`]. Positive **fraction** of the peak (`0.087` = 8.7 %); 0 if equity never
    /// fell below a previous peak. Can exceed 1 only if equity went negative.
    pub max_drawdown: f64,
    /// `max_drawdown × 100`. **Percent**.
    pub max_drawdown_pct: f64,
    /// Longest underwater stretch in bars: from the last point at a peak to the first later point with
    /// equity back at or above that peak, or to the last point if it never recovered. Bars.
    pub max_drawdown_duration_bars: u64,
    /// Longest underwater stretch in time (same stretches, measured by their timestamps). Milliseconds.
    /// The longest stretch in time need not be the longest in bars (gaps such as nights and weekends).
    pub max_drawdown_duration_ms: i64,
    /// Calmar ratio `(cagr_pct / 100) / max_drawdown` (both fractions). Ratio. 0 when there is no
    /// drawdown.
    pub calmar: f64,
    /// Number of closed round trips. Count.
    pub round_trips: u64,
    /// Number of fills. Count.
    pub fill_count: u64,
    /// `100 × (closed trades with net PnL > 0) / round_trips`. **Percent**. 0 without trades.
    pub win_rate_pct: f64,
    /// `Σ winning PnL / |Σ losing PnL|` (net of fees). Ratio. `None` when no trade lost money (the
    /// ratio would be infinite, which JSON cannot carry); `Some(0.0)` when trades lost but none won.
    pub profit_factor: Option<f64>,
    /// Mean net PnL per closed trade `Σ pnl / round_trips`, rounded to 2 decimal places (midpoint
    /// away from zero). Money. 0 without trades.
    pub expectancy: Decimal,
    /// Largest net PnL of a closed trade. Money. `None` without trades.
    pub best_trade: Option<Decimal>,
    /// Smallest (most negative) net PnL of a closed trade. Money. `None` without trades.
    pub worst_trade: Option<Decimal>,
    /// Largest per-trade return. **Percent**. `None` without trades (non-finite inputs are skipped).
    pub best_trade_pct: Option<f64>,
    /// Smallest per-trade return. **Percent**. `None` without trades (non-finite inputs are skipped).
    pub worst_trade_pct: Option<f64>,
    /// Longest run of consecutive closed trades with PnL > 0; a zero-PnL trade breaks the run. Count.
    pub max_consecutive_wins: u64,
    /// Longest run of consecutive closed trades with PnL < 0; a zero-PnL trade breaks the run. Count.
    pub max_consecutive_losses: u64,
    /// `100 × (points 1..n with gross exposure > 0) / n`: share of bars that ended holding a position
    /// (point 0, the start, is not counted). **Percent**.
    pub exposure_pct: f64,
    /// `traded_notional / mean(E_0..E_n)`: how many times the average equity was traded. Ratio. 0 when
    /// the average equity is `<= 0`.
    pub turnover: f64,
    /// Total commissions paid. Money.
    pub fees: Decimal,
    /// Buy-and-hold return of the benchmark `(B_last / B_first − 1) × 100`. **Percent**. `None` without
    /// a benchmark or when its first close is `<= 0`.
    pub benchmark_return_pct: Option<f64>,
    /// Jensen's alpha from the OLS regression `r_i = α + β·b_i` of per-bar strategy returns on per-bar
    /// benchmark returns (both from [`returns`], risk-free rate not subtracted), annualised linearly:
    /// `α × P × 100` with `α = mean(r) − β·mean(b)`. **Percent per year**. `None` when there is no
    /// benchmark, fewer than 2 returns or `var(b) = 0`.
    pub alpha_annual_pct: Option<f64>,
    /// `β = cov(r, b) / var(b)` (both with divisor `N − 1`). Ratio. `None` as for `alpha_annual_pct`.
    pub beta: Option<f64>,
    /// The `P` used for annualisation (0 if the input was not a positive finite number). Bars per year.
    pub periods_per_year: f64,
    /// `N`, the number of per-bar returns (equity points − 1, or 0). Count.
    pub bars: u64,
}

/// Per-bar simple returns `r_i = E_i / E_{i−1} − 1` for `i = 1..n` (one fewer than the points), each
/// computed in `Decimal` and converted to `f64`.
///
/// Ruin is recorded exactly once: the first bar whose equity is `<= 0` (or the first bar, if the
/// curve already starts at `<= 0`) gets the return `−1.0` — a total loss; a loss beyond the whole
/// equity has no meaning for a compounded return — and every later bar gets `0.0`, since there is no
/// capital left to earn a return on.
#[must_use]
pub fn returns(equity: &[Decimal]) -> Vec<f64> {
    returns_of(equity.iter().copied(), equity.len())
}

/// [`returns`] of the `n` values of `equity`.
fn returns_of(equity: impl Iterator<Item = Decimal>, n: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(n.saturating_sub(1));
    let mut stream = ReturnStream::default();
    out.extend(equity.filter_map(|e| stream.push(e)));
    out
}

/// [`returns`] one point at a time.
#[derive(Default)]
struct ReturnStream {
    prev: Option<Decimal>,
    ruined: bool,
}

impl ReturnStream {
    /// The return into `cur` (none for the first point).
    fn push(&mut self, cur: Decimal) -> Option<f64> {
        let prev = self.prev.replace(cur)?;
        Some(if self.ruined {
            0.0
        } else if is_non_positive(prev) || is_non_positive(cur) {
            self.ruined = true;
            -1.0
        } else if cmp(cur, prev) == Ordering::Equal {
            0.0
        } else {
            // The exact difference and the previous value, each converted once, then one IEEE
            // division: correctly rounded, so identical everywhere, and a million bars cost a few
            // milliseconds where `Decimal` divisions would cost a quarter of a second.
            fin(diff_to_f64(cur, prev) / to_f64(prev))
        })
    }
}

/// Drawdown at each point: `(peak_t − E_t) / peak_t` with `peak_t = max(E_0..E_t)`, a fraction `>= 0`
/// (0 at a new high; above 1 only if equity is negative). Computed in `Decimal` and converted; 0 while
/// the running peak is `<= 0`. Same length as `equity`.
#[must_use]
pub fn drawdown_series(equity: &[Decimal]) -> Vec<f64> {
    let mut out = Vec::with_capacity(equity.len());
    for_each_drawdown(equity.iter().copied(), |d| out.push(d));
    out
}

/// The drawdown of each point, in order, without storing them.
fn for_each_drawdown(equity: impl Iterator<Item = Decimal>, mut f: impl FnMut(f64)) {
    let mut stream = DrawdownStream::default();
    for e in equity {
        f(stream.push(e).0);
    }
}

/// [`drawdown_series`] one point at a time, with the stretches spent under water.
#[derive(Default)]
struct DrawdownStream {
    /// The running peak and its float (converted only at new highs).
    peak: Option<(Decimal, f64)>,
    /// Index of the latest point at the peak (a tie with the peak moves it).
    peak_i: usize,
    /// True while below the peak.
    under: bool,
    /// Points pushed so far.
    seen: usize,
}

impl DrawdownStream {
    /// The drawdown at `e`; when `e` is back at the peak after a drawdown, also the stretch under
    /// water it ends, as `(index of the peak, index of e)`.
    fn push(&mut self, e: Decimal) -> (f64, Option<(usize, usize)>) {
        let i = self.seen;
        self.seen += 1;
        let mut ended = None;
        let (p, p_f64) = match self.peak {
            Some((p, p_f64)) if cmp(p, e) == Ordering::Greater => {
                self.under = true;
                (p, p_f64)
            }
            Some(kept) => {
                if self.under {
                    ended = Some((self.peak_i, i));
                    self.under = false;
                }
                self.peak_i = i;
                if cmp(kept.0, e) == Ordering::Equal { kept } else { (e, to_f64(e)) }
            }
            None => (e, to_f64(e)),
        };
        self.peak = Some((p, p_f64));
        // Below a positive peak, (p − e) / p: the difference is exact, or the difference of the
        // floats if it overflows `Decimal` (which needs p > 0 > e anyway).
        let dd = if !is_non_positive(p) && cmp(e, p) == Ordering::Less { fin(diff_to_f64(p, e) / p_f64) } else { 0.0 };
        (dd, ended)
    }

    /// The stretch still under water after the last point, if any.
    fn open_stretch(&self) -> Option<(usize, usize)> {
        self.under.then(|| (self.peak_i, self.seen - 1))
    }
}

/// Computes every metric of [`Metrics`] from `input`. Pure and deterministic; never panics, never
/// returns NaN or infinity.
#[must_use]
pub fn compute(input: &MetricsInput) -> Metrics {
    let curve = &input.curve;
    let n = curve.len();
    let ppy =
        if input.periods_per_year.is_finite() && input.periods_per_year > 0.0 { input.periods_per_year } else { 0.0 };
    let starting = curve.get(0).map_or(Decimal::ZERO, |p| p.equity);
    let last = n.checked_sub(1).and_then(|i| curve.get(i)).map_or(Decimal::ZERO, |p| p.equity);
    let ts_at = |i: usize| curve.get(i).map(|p| p.ts);
    let scan = scan(curve, input.benchmark.filter(|bars| !bars.is_empty()));
    let rets = &scan.returns;

    // Total return and CAGR.
    let total_return_pct = if starting > Decimal::ZERO { pct_change(last, starting) } else { 0.0 };
    let elapsed_ms = match (ts_at(0), n.checked_sub(1).and_then(ts_at)) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => 0,
    };
    let years = elapsed_ms as f64 / MS_PER_YEAR;
    let cagr_pct = if n < 2 || years <= 0.0 || starting <= Decimal::ZERO {
        0.0
    } else if last <= Decimal::ZERO {
        -100.0
    } else {
        fin((libm::pow(ratio(last, starting), 1.0 / years) - 1.0) * 100.0)
    };

    // Volatility, Sharpe, Sortino.
    let sqrt_ppy = libm::sqrt(ppy);
    let rf = input.risk_free_rate_annual;
    let rf_bar = if ppy > 0.0 && rf.is_finite() && rf > -1.0 { libm::pow(1.0 + rf, 1.0 / ppy) - 1.0 } else { 0.0 };
    let rf_bar = fin(rf_bar);
    // Excess returns, produced on the fly rather than stored (a million bars is 8 MB a copy).
    let excess = || rets.iter().map(move |r| r - rf_bar);
    let (mut volatility_pct, mut sharpe, mut sortino) = (0.0, 0.0, 0.0);
    if rets.len() >= 2 {
        volatility_pct = fin(sample_sd(rets) * sqrt_ppy * 100.0);
        let mean_x = mean_of(excess(), rets.len());
        let sd_x = sample_sd_of(excess, rets.len());
        if sd_x > 0.0 && sd_x.is_finite() {
            sharpe = fin(mean_x / sd_x * sqrt_ppy);
        }
        let mut down_sq = 0.0;
        for x in excess() {
            let d = x.min(0.0);
            down_sq += d * d;
        }
        let dd = libm::sqrt(down_sq / rets.len() as f64);
        if dd > 0.0 && dd.is_finite() {
            sortino = fin(mean_x / dd * sqrt_ppy);
        }
    }

    // Drawdowns.
    let max_drawdown = scan.max_drawdown;
    let (mut dd_bars, mut dd_ms) = (0u64, 0i64);
    for (from, to) in scan.stretches.iter().copied() {
        dd_bars = dd_bars.max((to - from) as u64);
        if let (Some(a), Some(b)) = (ts_at(from), ts_at(to)) {
            dd_ms = dd_ms.max(b.saturating_sub(a));
        }
    }
    let calmar = if max_drawdown > 0.0 { fin(cagr_pct / 100.0 / max_drawdown) } else { 0.0 };

    // Closed trades.
    let pnls = input.trade_pnls;
    let (mut gross_win, mut gross_loss, mut total) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let (mut wins, mut run_w, mut run_l, mut max_w, mut max_l) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let (mut best, mut worst): (Option<Decimal>, Option<Decimal>) = (None, None);
    for &p in pnls {
        total = total.saturating_add(p);
        if p > Decimal::ZERO {
            wins += 1;
            gross_win = gross_win.saturating_add(p);
            run_w += 1;
            run_l = 0;
        } else if p < Decimal::ZERO {
            gross_loss = gross_loss.saturating_add(p);
            run_l += 1;
            run_w = 0;
        } else {
            run_w = 0;
            run_l = 0;
        }
        max_w = max_w.max(run_w);
        max_l = max_l.max(run_l);
        best = Some(best.map_or(p, |b| b.max(p)));
        worst = Some(worst.map_or(p, |w| w.min(p)));
    }
    let round_trips = pnls.len() as u64;
    let win_rate_pct = if pnls.is_empty() { 0.0 } else { wins as f64 / pnls.len() as f64 * 100.0 };
    let profit_factor = if gross_loss < Decimal::ZERO { Some(fin(ratio(gross_win, -gross_loss))) } else { None };
    let expectancy = if pnls.is_empty() {
        Decimal::ZERO
    } else {
        (total / Decimal::from(pnls.len())).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
    };
    let (mut best_pct, mut worst_pct): (Option<f64>, Option<f64>) = (None, None);
    for &r in input.trade_returns_pct.iter().filter(|r| r.is_finite()) {
        best_pct = Some(best_pct.map_or(r, |b| if r > b { r } else { b }));
        worst_pct = Some(worst_pct.map_or(r, |w| if r < w { r } else { w }));
    }

    // Exposure and turnover.
    let exposure_pct = if n < 2 { 0.0 } else { scan.exposed as f64 / (n - 1) as f64 * 100.0 };
    let turnover = if n == 0 {
        0.0
    } else {
        let avg = scan.equity_sum.total() / Decimal::from(n);
        if avg > Decimal::ZERO { fin(ratio(input.traded_notional, avg)) } else { 0.0 }
    };

    // Benchmark.
    let benchmark_return_pct = match scan.benchmark_ends {
        Some((first, last)) if first > Decimal::ZERO => Some(pct_change(last, first)),
        _ => None,
    };
    let (alpha_annual_pct, beta) = match &scan.benchmark_returns {
        Some(b) => alpha_beta(rets, b, ppy),
        None => (None, None),
    };

    Metrics {
        starting_equity: starting,
        final_equity: last,
        total_return_pct,
        cagr_pct,
        volatility_pct,
        sharpe,
        sortino,
        max_drawdown,
        max_drawdown_pct: fin(max_drawdown * 100.0),
        max_drawdown_duration_bars: dd_bars,
        max_drawdown_duration_ms: dd_ms,
        calmar,
        round_trips,
        fill_count: input.fill_count as u64,
        win_rate_pct,
        profit_factor,
        expectancy,
        best_trade: best,
        worst_trade: worst,
        best_trade_pct: best_pct,
        worst_trade_pct: worst_pct,
        max_consecutive_wins: max_w,
        max_consecutive_losses: max_l,
        exposure_pct,
        turnover,
        fees: input.fees,
        benchmark_return_pct,
        alpha_annual_pct,
        beta,
        periods_per_year: ppy,
        bars: rets.len() as u64,
    }
}

/// What one pass over the curve (and the benchmark beside it) collects for [`compute`].
struct Scan {
    /// Per-bar returns ([`returns`]).
    returns: Vec<f64>,
    max_drawdown: f64,
    /// Stretches under water, `(index of the peak, index of the recovery or the last point)`.
    stretches: Vec<(usize, usize)>,
    /// Points after the first with a position open.
    exposed: usize,
    /// Sum of the equity of every point (saturating).
    equity_sum: DecimalSum,
    /// Benchmark returns on the same points, and its first and last closes.
    benchmark_returns: Option<Vec<f64>>,
    benchmark_ends: Option<(Decimal, Decimal)>,
}

/// One pass over `curve`: a million-bar curve is read once, not once per metric. The benchmark
/// close at each point is that of its latest bar at or before the point's time (its first close
/// before its first bar: a flat benchmark).
fn scan(curve: &Curve, benchmark: Option<&[Bar]>) -> Scan {
    let n = curve.len();
    let mut out = Scan {
        returns: Vec::with_capacity(n.saturating_sub(1)),
        max_drawdown: 0.0,
        stretches: Vec::new(),
        exposed: 0,
        equity_sum: DecimalSum::default(),
        benchmark_returns: benchmark.map(|_| Vec::with_capacity(n.saturating_sub(1))),
        benchmark_ends: None,
    };
    let (mut returns, mut drawdown, mut bench_returns) =
        (ReturnStream::default(), DrawdownStream::default(), ReturnStream::default());
    let mut j = 0;
    for (i, p) in curve.iter().enumerate() {
        out.returns.extend(returns.push(p.equity));
        let (dd, ended) = drawdown.push(p.equity);
        if dd > out.max_drawdown {
            out.max_drawdown = dd;
        }
        out.stretches.extend(ended);
        if i > 0 && !is_non_positive(p.gross_exposure) {
            out.exposed += 1;
        }
        out.equity_sum.add(p.equity);
        if let (Some(bars), Some(rets)) = (benchmark, out.benchmark_returns.as_mut()) {
            while j + 1 < bars.len() && bars[j + 1].ts <= p.ts {
                j += 1;
            }
            let close = bars[j].close;
            rets.extend(bench_returns.push(close));
            out.benchmark_ends = Some((out.benchmark_ends.map_or(close, |(first, _)| first), close));
        }
    }
    out.stretches.extend(drawdown.open_stretch());
    out
}

/// `(alpha_annual_pct, beta)` of the OLS regression of `r` on `b` (paired by index).
fn alpha_beta(r: &[f64], b: &[f64], ppy: f64) -> (Option<f64>, Option<f64>) {
    let m = r.len().min(b.len());
    if m < 2 {
        return (None, None);
    }
    let (r, b) = (&r[..m], &b[..m]);
    let (mr, mb) = (mean(r), mean(b));
    let (mut cov, mut var) = (0.0, 0.0);
    for i in 0..m {
        let db = b[i] - mb;
        cov += (r[i] - mr) * db;
        var += db * db;
    }
    let denom = (m - 1) as f64;
    let (cov, var) = (cov / denom, var / denom);
    if !(var > 0.0 && var.is_finite() && cov.is_finite()) {
        return (None, None);
    }
    let beta = fin(cov / var);
    let alpha = fin((mr - beta * mb) * ppy * 100.0);
    (Some(alpha), Some(beta))
}

/// Arithmetic mean, summed left to right; 0 for an empty slice.
fn mean(xs: &[f64]) -> f64 {
    mean_of(xs.iter().copied(), xs.len())
}

/// Mean of `n` values, summed left to right (iterator form, so shifted values need no copy).
fn mean_of(xs: impl Iterator<Item = f64>, n: usize) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let mut s = 0.0;
    for x in xs {
        s += x;
    }
    s / n as f64
}

/// Sample standard deviation (divisor `n − 1`, two-pass); 0 for fewer than 2 values.
fn sample_sd(xs: &[f64]) -> f64 {
    sample_sd_of(|| xs.iter().copied(), xs.len())
}

/// Sample standard deviation (n − 1) of `n` values produced twice by `xs`, in the same order.
fn sample_sd_of<I: Iterator<Item = f64>>(xs: impl Fn() -> I, n: usize) -> f64 {
    if n < 2 {
        return 0.0;
    }
    let m = mean_of(xs(), n);
    let mut s = 0.0;
    for x in xs() {
        let d = x - m;
        s += d * d;
    }
    libm::sqrt(s / (n - 1) as f64)
}

/// `num / den` computed in `Decimal` (28 significant digits) then converted; falls back to `f64`
/// division if the quotient overflows `Decimal`. `den` must be non-zero.
fn ratio(num: Decimal, den: Decimal) -> f64 {
    match num.checked_div(den) {
        Some(q) => to_f64(q),
        None => fin(to_f64(num) / to_f64(den)),
    }
}

/// `(to / from − 1) × 100` in `Decimal` then converted; `from` must be positive.
fn pct_change(to: Decimal, from: Decimal) -> f64 {
    match to.checked_sub(from).and_then(|d| d.checked_div(from)).and_then(|q| q.checked_mul(Decimal::ONE_HUNDRED)) {
        Some(p) => to_f64(p),
        None => fin((ratio(to, from) - 1.0) * 100.0),
    }
}

/// Makes a value safe for JSON: NaN becomes 0, ±infinity saturates at ±`f64::MAX`.
fn fin(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else if x.is_infinite() {
        if x > 0.0 { f64::MAX } else { f64::MIN }
    } else {
        x
    }
}

#[cfg(test)]
mod tests;
