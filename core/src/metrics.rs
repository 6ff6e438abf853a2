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

use crate::account::{Curve, EquityPoint};
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
    returns_of(equity.iter().copied(), equity.last().copied(), equity.len())
}

/// [`returns`] of the `n` values of `values` (an iterator read twice or three times).
fn returns_of(values: impl Iterator<Item = Decimal> + Clone, last: Option<Decimal>, n: usize) -> Vec<f64> {
    fast_or_exact(
        values.clone(),
        last,
        |s| complete(return_series(s, values.clone().map_while(|d| s.value(d))), n),
        || return_series(Exact, values.clone()),
    )
}

/// The returns of `values` (see [`returns`]), and how many values were read.
fn return_series<R: Reading>(reading: R, values: impl Iterator<Item = R::V>) -> (Vec<f64>, usize) {
    let mut out = Vec::with_capacity(values.size_hint().0.saturating_sub(1));
    let mut stream = ReturnStream::new(reading);
    let mut read = 0;
    for v in values {
        read += 1;
        out.extend(stream.push(v));
    }
    (out, read)
}

/// Drawdown at each point: `(peak_t − E_t) / peak_t` with `peak_t = max(E_0..E_t)`, a fraction `>= 0`
/// (0 at a new high; above 1 only if equity is negative). Computed in `Decimal` and converted; 0 while
/// the running peak is `<= 0`. Same length as `equity`.
#[must_use]
pub fn drawdown_series(equity: &[Decimal]) -> Vec<f64> {
    fn series<R: Reading>(reading: R, values: impl Iterator<Item = R::V>) -> (Vec<f64>, usize) {
        let mut stream = DrawdownStream::new(reading);
        let out: Vec<f64> = values.map(|v| stream.push(v).0).collect();
        let read = out.len();
        (out, read)
    }
    let values = equity.iter().copied();
    fast_or_exact(
        values.clone(),
        equity.last().copied(),
        |s| complete(series(s, values.clone().map_while(|d| s.value(d))), equity.len()),
        || series(Exact, values.clone()),
    )
}

/// How the per-point streams read an amount: as an exact [`Decimal`] ([`Exact`]), or as an integer
/// at one scale shared by the whole curve ([`Scaled`], the usual case). Both give the same floats,
/// bit for bit: every conversion is correctly rounded.
trait Reading: Copy {
    type V: Copy;
    fn non_positive(self, v: Self::V) -> bool;
    fn cmp(self, a: Self::V, b: Self::V) -> Ordering;
    /// The float nearest to `v`.
    fn float(self, v: Self::V) -> f64;
    /// The float nearest to `a − b`.
    fn float_diff(self, a: Self::V, b: Self::V) -> f64;
    /// A running sum of amounts (exact; saturating at `Decimal`'s bounds).
    type Sum: Default;
    fn add(self, sum: &mut Self::Sum, v: Self::V);
    fn total(self, sum: &Self::Sum) -> Decimal;
}

/// Amounts read as they are.
#[derive(Clone, Copy)]
struct Exact;

impl Reading for Exact {
    type V = Decimal;
    fn non_positive(self, v: Decimal) -> bool {
        is_non_positive(v)
    }
    fn cmp(self, a: Decimal, b: Decimal) -> Ordering {
        cmp(a, b)
    }
    fn float(self, v: Decimal) -> f64 {
        to_f64(v)
    }
    fn float_diff(self, a: Decimal, b: Decimal) -> f64 {
        diff_to_f64(a, b)
    }
    type Sum = DecimalSum;
    fn add(self, sum: &mut DecimalSum, v: Decimal) {
        sum.add(v);
    }
    fn total(self, sum: &DecimalSum) -> Decimal {
        sum.total()
    }
}

/// Amounts read as integers `m` standing for `m / 10^scale`, with `|m| < 2^52` and `scale <= 22`:
/// `m`, the difference of two such and `10^scale` are exact in `f64`, so one IEEE division is the
/// correctly rounded float — the bits [`to_f64`] gives — and comparisons are integer ones. A
/// million-point curve is graded several times faster this way than through `Decimal`.
#[derive(Clone, Copy)]
struct Scaled {
    scale: u32,
    pow: f64,
}

impl Scaled {
    /// Magnitude bound of the integers.
    const LIMIT: i128 = 1 << 52;
    /// Powers of ten up to the largest scale `f64` holds exactly.
    const POWERS: [i128; 23] = {
        let mut p = [1i128; 23];
        let mut i = 1;
        while i < 23 {
            p[i] = p[i - 1] * 10;
            i += 1;
        }
        p
    };

    /// The reading at `scale`, if that scale is exact in `f64`.
    fn at(scale: u32) -> Option<Scaled> {
        let pow = *crate::num::EXACT_POWERS_OF_TEN.get(scale as usize)?;
        Some(Scaled { scale, pow })
    }

    /// `d` as an integer at this scale, or `None` when it does not fit.
    #[inline]
    fn value(self, d: Decimal) -> Option<i64> {
        let m = d.mantissa();
        // A scale above ours or a mantissa out of bounds: not this reading. In bounds, the product
        // stays below 2^52 · 10^22 < 2^127.
        let k = self.scale.checked_sub(d.scale())? as usize;
        if m.abs() >= Self::LIMIT {
            return None;
        }
        let v = m * Self::POWERS[k];
        // In bounds, the cast is exact.
        (v.abs() < Self::LIMIT).then_some(v as i64)
    }
}

impl Reading for Scaled {
    type V = i64;
    fn non_positive(self, v: i64) -> bool {
        v <= 0
    }
    fn cmp(self, a: i64, b: i64) -> Ordering {
        a.cmp(&b)
    }
    fn float(self, v: i64) -> f64 {
        v as f64 / self.pow
    }
    fn float_diff(self, a: i64, b: i64) -> f64 {
        // |a − b| < 2^53: exact.
        (a - b) as f64 / self.pow
    }
    type Sum = i128;
    fn add(self, sum: &mut i128, v: i64) {
        // Below 2^52 each: 2^75 additions before an i128 could overflow.
        *sum += i128::from(v);
    }
    fn total(self, sum: &i128) -> Decimal {
        Decimal::try_from_i128_with_scale(*sum, self.scale).unwrap_or(if *sum > 0 {
            Decimal::MAX
        } else {
            Decimal::MIN
        })
    }
}

/// `fast` on `values` read at one scale when one holds them all, otherwise `exact`; both give the
/// same result. The scale tried first is that of `last`, the last value: along a curve, cash and
/// positions only gain decimal places, so the last point usually has the largest scale and one
/// pass does. Otherwise a pass over the scales finds the largest one and `fast` runs again.
fn fast_or_exact<T>(
    values: impl Iterator<Item = Decimal>,
    last: Option<Decimal>,
    fast: impl Fn(Scaled) -> Option<T>,
    exact: impl FnOnce() -> (T, usize),
) -> T {
    let last = last.map_or(0, |d| d.scale());
    if let Some(out) = Scaled::at(last).and_then(&fast) {
        return out;
    }
    let largest = values.map(|d| d.scale()).max().unwrap_or(0);
    let retry = if largest > last { Scaled::at(largest).and_then(fast) } else { None };
    retry.unwrap_or_else(|| exact().0)
}

/// The result of a fast read, if it read all `n` values.
fn complete<T>((out, read): (T, usize), n: usize) -> Option<T> {
    (read == n).then_some(out)
}

/// [`returns`] one point at a time.
struct ReturnStream<R: Reading> {
    reading: R,
    prev: Option<R::V>,
    ruined: bool,
}

impl<R: Reading> ReturnStream<R> {
    fn new(reading: R) -> Self {
        ReturnStream { reading, prev: None, ruined: false }
    }

    /// The return into `cur` (none for the first point).
    #[inline]
    fn push(&mut self, cur: R::V) -> Option<f64> {
        let r = self.reading;
        let prev = self.prev.replace(cur)?;
        Some(if self.ruined {
            0.0
        } else if r.non_positive(prev) || r.non_positive(cur) {
            self.ruined = true;
            -1.0
        } else if r.cmp(cur, prev) == Ordering::Equal {
            0.0
        } else {
            // The exact difference and the previous value, each converted once, then one IEEE
            // division: correctly rounded, so identical everywhere, and a million bars cost a few
            // milliseconds where `Decimal` divisions would cost a quarter of a second.
            fin(r.float_diff(cur, prev) / r.float(prev))
        })
    }
}

/// [`drawdown_series`] one point at a time, with the stretches spent under water.
struct DrawdownStream<R: Reading> {
    reading: R,
    /// The running peak and its float (converted only at new highs).
    peak: Option<(R::V, f64)>,
    /// Index of the latest point at the peak (a tie with the peak moves it).
    peak_i: usize,
    /// True while below the peak.
    under: bool,
    /// Points pushed so far.
    seen: usize,
}

impl<R: Reading> DrawdownStream<R> {
    fn new(reading: R) -> Self {
        DrawdownStream { reading, peak: None, peak_i: 0, under: false, seen: 0 }
    }

    /// The drawdown at `e`; when `e` is back at the peak after a drawdown, also the stretch under
    /// water it ends, as `(index of the peak, index of e)`.
    #[inline]
    fn push(&mut self, e: R::V) -> (f64, Option<(usize, usize)>) {
        let r = self.reading;
        let i = self.seen;
        self.seen += 1;
        let mut ended = None;
        let (p, p_f64) = match self.peak {
            Some((p, p_f64)) if r.cmp(p, e) == Ordering::Greater => {
                self.under = true;
                (p, p_f64)
            }
            Some(kept) => {
                if self.under {
                    ended = Some((self.peak_i, i));
                    self.under = false;
                }
                self.peak_i = i;
                if r.cmp(kept.0, e) == Ordering::Equal { kept } else { (e, r.float(e)) }
            }
            None => (e, r.float(e)),
        };
        self.peak = Some((p, p_f64));
        // Below a positive peak, (p − e) / p: the difference is exact, or the difference of the
        // floats if it overflows `Decimal` (which needs p > 0 > e anyway).
        let dd =
            if !r.non_positive(p) && r.cmp(e, p) == Ordering::Less { fin(r.float_diff(p, e) / p_f64) } else { 0.0 };
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
    let m = moments(rets, scan.benchmark_returns.as_deref(), rf_bar);
    let (mut volatility_pct, mut sharpe, mut sortino) = (0.0, 0.0, 0.0);
    if rets.len() >= 2 {
        volatility_pct = fin(m.sd_r * sqrt_ppy * 100.0);
        if m.sd_x > 0.0 && m.sd_x.is_finite() {
            sharpe = fin(m.mean_x / m.sd_x * sqrt_ppy);
        }
        let dd = libm::sqrt(m.down_sq / rets.len() as f64);
        if dd > 0.0 && dd.is_finite() {
            sortino = fin(m.mean_x / dd * sqrt_ppy);
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
        let avg = scan.equity_sum / Decimal::from(n);
        if avg > Decimal::ZERO { fin(ratio(input.traded_notional, avg)) } else { 0.0 }
    };

    // Benchmark.
    let benchmark_return_pct = match scan.benchmark_ends {
        Some((first, last)) if first > Decimal::ZERO => Some(pct_change(last, first)),
        _ => None,
    };
    let (alpha_annual_pct, beta) = alpha_beta(&m, rets.len(), ppy);

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

/// What the pass over the curve (and the one over the benchmark beside it) collect for [`compute`].
struct Scan {
    /// Per-bar returns ([`returns`]).
    returns: Vec<f64>,
    max_drawdown: f64,
    /// Stretches under water, `(index of the peak, index of the recovery or the last point)`.
    stretches: Vec<(usize, usize)>,
    /// Points after the first with a position open.
    exposed: usize,
    /// Sum of the equity of every point (saturating).
    equity_sum: Decimal,
    /// Benchmark returns on the same points, and its first and last closes.
    benchmark_returns: Option<Vec<f64>>,
    benchmark_ends: Option<(Decimal, Decimal)>,
}

/// One pass over `curve` (a million-bar curve is read once, not once per metric, at one scale
/// when it can be), and one over the benchmark's closes at the curve's points: the close of its
/// latest bar at or before the point's time (its first close before its first bar: a flat
/// benchmark).
fn scan(curve: &Curve, benchmark: Option<&[Bar]>) -> Scan {
    let n = curve.len();
    let equity = curve.iter().map(|p| p.equity);
    let exposed = |p: &EquityPoint| !is_non_positive(p.gross_exposure);
    let mut out = fast_or_exact(
        equity,
        n.checked_sub(1).and_then(|i| curve.get(i)).map(|p| p.equity),
        |s| complete(scan_equity(s, curve.iter().map_while(|p| Some((s.value(p.equity)?, exposed(p))))), n),
        || scan_equity(Exact, curve.iter().map(|p| (p.equity, exposed(p)))),
    );
    if let Some(bars) = benchmark.filter(|bars| !bars.is_empty())
        && let Some(last) = n.checked_sub(1).and_then(|i| curve.get(i))
    {
        let closes = curve.iter().scan(0usize, move |j, p| {
            while *j + 1 < bars.len() && bars[*j + 1].ts <= p.ts {
                *j += 1;
            }
            Some(bars[*j].close)
        });
        let at_last = bars.partition_point(|b| b.ts <= last.ts).saturating_sub(1);
        out.benchmark_ends = closes.clone().next().map(|first| (first, bars[at_last].close));
        out.benchmark_returns = Some(returns_of(closes, Some(bars[at_last].close), n));
    }
    out
}

/// The equity part of [`Scan`] from each point's equity and whether it holds a position, and how
/// many points were read.
fn scan_equity<R: Reading>(reading: R, points: impl Iterator<Item = (R::V, bool)>) -> (Scan, usize) {
    let mut out = Scan {
        returns: Vec::with_capacity(points.size_hint().0.saturating_sub(1)),
        max_drawdown: 0.0,
        stretches: Vec::new(),
        exposed: 0,
        equity_sum: Decimal::ZERO,
        benchmark_returns: None,
        benchmark_ends: None,
    };
    let (mut returns, mut drawdown) = (ReturnStream::new(reading), DrawdownStream::new(reading));
    let mut sum = R::Sum::default();
    let mut read = 0;
    for (e, exposed) in points {
        out.returns.extend(returns.push(e));
        let (dd, ended) = drawdown.push(e);
        if dd > out.max_drawdown {
            out.max_drawdown = dd;
        }
        out.stretches.extend(ended);
        if read > 0 && exposed {
            out.exposed += 1;
        }
        reading.add(&mut sum, e);
        read += 1;
    }
    out.stretches.extend(drawdown.open_stretch());
    out.equity_sum = reading.total(&sum);
    (out, read)
}

/// The sums behind volatility, Sharpe, Sortino, alpha and beta. `x_i = r_i − rf_bar`.
#[derive(Default)]
struct Moments {
    /// Sample standard deviation of `r` (0 with fewer than 2 returns).
    sd_r: f64,
    /// Mean and sample standard deviation of `x`.
    mean_x: f64,
    sd_x: f64,
    /// `Σ min(x_i, 0)²`.
    down_sq: f64,
    /// `Σ (r_i − mean r)(b_i − mean b)`, `Σ (b_i − mean b)²` and the benchmark's mean, when there
    /// is a benchmark (its returns pair with `r` by index).
    co: Option<(f64, f64, f64)>,
    mean_r: f64,
}

/// [`Moments`] in two passes over the returns, the first for the means, the second for the
/// squares around them. Every sum is still added left to right on its own: the same bits as one
/// pass per sum, with the sums' dependency chains running side by side.
fn moments(r: &[f64], b: Option<&[f64]>, rf_bar: f64) -> Moments {
    let n = r.len();
    // The benchmark's returns are taken on the same points as the strategy's.
    let b = b.filter(|b| b.len() == n);
    let mut m = Moments::default();
    if n == 0 {
        return m;
    }
    let (mut sum_r, mut sum_x, mut sum_b, mut down_sq) = (0.0, 0.0, 0.0, 0.0);
    for i in 0..n {
        let x = r[i] - rf_bar;
        sum_r += r[i];
        sum_x += x;
        let d = x.min(0.0);
        down_sq += d * d;
        if let Some(b) = b {
            sum_b += b[i];
        }
    }
    let count = n as f64;
    (m.mean_r, m.mean_x, m.down_sq) = (sum_r / count, sum_x / count, down_sq);
    let mean_b = sum_b / count;
    let (mut sq_r, mut sq_x, mut cov, mut var) = (0.0, 0.0, 0.0, 0.0);
    for i in 0..n {
        let dr = r[i] - m.mean_r;
        sq_r += dr * dr;
        let dx = (r[i] - rf_bar) - m.mean_x;
        sq_x += dx * dx;
        if let Some(b) = b {
            let db = b[i] - mean_b;
            cov += dr * db;
            var += db * db;
        }
    }
    if n >= 2 {
        let denom = (n - 1) as f64;
        (m.sd_r, m.sd_x) = (libm::sqrt(sq_r / denom), libm::sqrt(sq_x / denom));
    }
    m.co = b.map(|_| (cov, var, mean_b));
    m
}

/// `(alpha_annual_pct, beta)` of the OLS regression of the `n` returns on the benchmark's.
fn alpha_beta(m: &Moments, n: usize, ppy: f64) -> (Option<f64>, Option<f64>) {
    let Some((cov, var, mean_b)) = m.co else { return (None, None) };
    if n < 2 {
        return (None, None);
    }
    let denom = (n - 1) as f64;
    let (cov, var) = (cov / denom, var / denom);
    if !(var > 0.0 && var.is_finite() && cov.is_finite()) {
        return (None, None);
    }
    let beta = fin(cov / var);
    let alpha = fin((m.mean_r - beta * mean_b) * ppy * 100.0);
    (Some(alpha), Some(beta))
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
