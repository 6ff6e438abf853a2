//! The market model behind the catalog: correlated symbols with volatility clustering, jumps,
//! overnight gaps and volume that follows activity, turned into exact-decimal OHLCV bars.
//!
//! Every symbol's log price is `ln(start) + beta × M + I`: `M` is a market factor shared by all
//! symbols and `I` the symbol's own component. Both move by drift plus a normal shock whose variance
//! follows a GARCH(1,1) recursion (calm and stormy stretches), plus rare heavy-tailed jumps, and
//! optionally mean-revert (range-bound markets). Scripted regimes push the market factor (a crash)
//! and scale its volatility. All randomness comes from [`Rng`] and all transcendental math from
//! `libm`, in a fixed order, so a seed gives the same bars on every platform.

use rust_decimal::Decimal;

use super::calendar::Slot;
use crate::bar::Bar;
use crate::error::Result;
use crate::interrupt::{CHECK_EVERY, Interrupt};
use crate::rng::Rng;
use crate::scenario::Series;

/// One generated symbol.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Asset {
    /// Ticker.
    pub symbol: String,
    /// Price at the first open.
    pub start_price: f64,
    /// Expected log return per year.
    pub drift: f64,
    /// Exposure to the market factor.
    pub beta: f64,
    /// Annualised volatility of the symbol's own component (total vol² = beta² × market vol² + this²).
    pub idio_vol: f64,
    /// Average volume traded per day (per session for exchanges), in shares or coins.
    pub daily_volume: f64,
}

/// A scripted stretch of the market factor, e.g. a crash: from bar `from_bar` for `bars` bars the
/// factor is pushed by `market_move` in total (log terms, spread over the bars in proportion to
/// their market time, overnight gaps included) and its volatility is multiplied by `vol_mult`
/// (symbols' own volatility by its square root: in a crisis correlations rise).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Regime {
    /// First bar index of the regime.
    pub from_bar: usize,
    /// Number of bars.
    pub bars: usize,
    /// Total log move added to the market factor.
    pub market_move: f64,
    /// Multiplier of the market factor's volatility.
    pub vol_mult: f64,
}

/// Parameters of the market model shared by all symbols of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Model {
    /// Expected log return of the market factor per year.
    pub market_drift: f64,
    /// Annualised volatility of the market factor.
    pub market_vol: f64,
    /// GARCH reaction: how much of a squared shock feeds next bar's variance.
    pub garch_alpha: f64,
    /// GARCH persistence `alpha + beta` (< 1): how slowly a volatile stretch calms down.
    pub garch_persistence: f64,
    /// Expected market-wide jumps per year.
    pub market_jumps_per_year: f64,
    /// Typical size of a market jump (log); tails are heavier than normal.
    pub market_jump_size: f64,
    /// Mean of a jump in units of its size (negative: crashes are likelier than melt-ups).
    pub jump_skew: f64,
    /// Expected own jumps (news, earnings) per symbol and year; at session opens they land in the gap.
    pub idio_jumps_per_year: f64,
    /// Typical size (log) of an own jump of a symbol whose own volatility is 25 %; scales with the
    /// symbol's own volatility, so a volatile stock gaps more on news and an index hardly at all.
    pub idio_jump_size: f64,
    /// Half-life in years of deviations of `M` and `I` from their start; `None` = random walk.
    pub mean_reversion_half_life: Option<f64>,
    /// Scripted regimes, in bar order, not overlapping.
    pub regimes: Vec<Regime>,
    /// Decimal places of prices (2 = cents).
    pub price_dp: u32,
    /// Decimal places of volumes (0 = whole shares, 4 for coins).
    pub volume_dp: u32,
}

/// GARCH variance multipliers are kept in this band so that a run of extreme draws cannot push a
/// series into absurd volatility (or none at all).
const GARCH_FLOOR: f64 = 0.1;
const GARCH_CAP: f64 = 16.0;
/// Own volatility at which a symbol's news jumps have the model's `idio_jump_size`.
const REFERENCE_OWN_VOL: f64 = 0.25;
/// A single shock counts as at most a 7-sigma one in the variance recursion.
const SURPRISE_CAP: f64 = 49.0;

/// Variance state and level of one random component (`M` or an `I`).
struct Component {
    /// Annualised volatility.
    vol: f64,
    /// Expected log move per year.
    drift: f64,
    /// GARCH multiplier of the variance, 1 on average.
    garch: f64,
    /// Current level (log).
    level: f64,
}

/// What acts on a component during one slot besides its drift and noise.
#[derive(Debug, Clone, Copy)]
struct Forces {
    /// Scripted move, split into the gap part and the bar part.
    push: (f64, f64),
    /// Multiplier of the volatility.
    vol_mult: f64,
    /// A jump: in the gap at a session open (news arrives overnight), in the bar otherwise.
    jump: f64,
    /// Fraction of the level pulled back towards 0 (mean reversion).
    revert: f64,
}

/// What one bar did to a component: level at the open and the close, and the bar's own st. dev.
#[derive(Debug, Clone, Copy)]
struct Step {
    open: f64,
    close: f64,
    sd: f64,
}

impl Component {
    fn new(vol: f64, drift: f64) -> Self {
        Component { vol, drift, garch: 1.0, level: 0.0 }
    }

    /// Advances over one slot under `forces`.
    fn step(&mut self, rng: &mut Rng, model: &Model, slot: &Slot, forces: Forces) -> Step {
        let Forces { push, vol_mult, jump, revert } = forces;
        // `shock` collects the normal noise of the move (not drift, pushes or jumps).
        let mut shock = 0.0;
        let gap = if slot.gap_years > 0.0 {
            let noise = self.vol * vol_mult * libm::sqrt(slot.gap_years * self.garch) * rng.normal();
            shock += noise;
            self.drift * slot.gap_years + push.0 + noise + jump
        } else {
            0.0
        };
        let open = self.level + gap;
        let sd = self.vol * vol_mult * libm::sqrt(slot.bar_years * self.garch);
        let noise = sd * rng.normal();
        shock += noise;
        let bar_jump = if slot.gap_years > 0.0 { 0.0 } else { jump };
        let close = open + self.drift * slot.bar_years + push.1 + noise + bar_jump - revert * open;
        // GARCH(1,1) on the standardised normal shock, so the multiplier averages exactly 1 and the
        // volatility parameters mean what they say. Jumps stay out of it (as in GARCH-jump models):
        // fed in, each would lift the long-run volatility by a lot. Standardising by the regime's
        // own volatility keeps a stormy regime from feeding on itself.
        let regime_var = self.vol * self.vol * vol_mult * vol_mult * (slot.bar_years + slot.gap_years);
        let surprise = if regime_var > 0.0 { (shock * shock / regime_var).min(SURPRISE_CAP) } else { 0.0 };
        let alpha = model.garch_alpha;
        let beta = model.garch_persistence - alpha;
        let next = (1.0 - model.garch_persistence) + alpha * surprise + beta * self.garch;
        self.garch = next.clamp(GARCH_FLOOR, GARCH_CAP);
        self.level = close;
        Step { open, close, sd }
    }
}

/// A heavy-tailed jump of typical magnitude `size`, shifted by `skew` sizes: a normal whose scale
/// is itself lognormal. Both draws are bounded so that a jump stays under about 7.5 sizes, within
/// what markets have actually seen.
fn jump(rng: &mut Rng, size: f64, skew: f64) -> f64 {
    let z = rng.normal().clamp(-3.5, 3.5);
    let scale = libm::exp(0.3 * rng.normal().clamp(-2.5, 2.5));
    size * (skew + z * scale)
}

/// Builds the bars of `assets` over `slots` from `seed`; series come back in `assets` order.
/// `interrupt` is asked about every [`CHECK_EVERY`] bars made; its error stops the generation.
pub(crate) fn generate(
    model: &Model,
    slots: &[Slot],
    assets: &[Asset],
    seed: u64,
    interrupt: Option<&Interrupt>,
) -> Result<Vec<Series>> {
    let mut root = Rng::new(seed);
    let mut market_rng = root.fork();
    // Each symbol draws from its own stream, so the bars of one symbol do not depend on how many
    // symbols come after it.
    let mut rngs: Vec<Rng> = assets.iter().map(|_| root.fork()).collect();
    let mut market = Component::new(model.market_vol, model.market_drift);
    let mut own: Vec<Component> =
        assets.iter().map(|a| Component::new(a.idio_vol, a.drift - a.beta * model.market_drift)).collect();
    let mut out: Vec<Vec<Bar>> = assets.iter().map(|_| Vec::with_capacity(slots.len())).collect();
    let base: Vec<f64> = assets.iter().map(|a| libm::log(a.start_price)).collect();
    let total_vol: Vec<f64> = assets
        .iter()
        .map(|a| libm::sqrt(a.beta * a.beta * model.market_vol * model.market_vol + a.idio_vol * a.idio_vol))
        .collect();
    let mut last_close = base.clone();
    let pushes = regime_pushes(model, slots);
    let mut revert_cache = (f64::NAN, 0.0);
    let mut unchecked = 0;

    for (t, slot) in slots.iter().enumerate() {
        unchecked += assets.len();
        if unchecked >= CHECK_EVERY {
            unchecked = 0;
            if let Some(interrupt) = interrupt {
                interrupt.check()?;
            }
        }
        let years = slot.bar_years + slot.gap_years;
        let (push, vol_mult) = pushes[t];
        let revert = match model.mean_reversion_half_life {
            // Most bars span the same time, so the power is only recomputed when that changes.
            Some(half_life) if years != revert_cache.0 => {
                revert_cache = (years, 1.0 - libm::pow(0.5, years / half_life));
                revert_cache.1
            }
            Some(_) => revert_cache.1,
            None => 0.0,
        };
        let market_jump = if market_rng.bernoulli(model.market_jumps_per_year * years) {
            jump(&mut market_rng, model.market_jump_size, model.jump_skew)
        } else {
            0.0
        };
        let m = market.step(&mut market_rng, model, slot, Forces { push, vol_mult, jump: market_jump, revert });
        for (i, asset) in assets.iter().enumerate() {
            let rng = &mut rngs[i];
            let own_jump = if rng.bernoulli(model.idio_jumps_per_year * years) {
                jump(rng, model.idio_jump_size * asset.idio_vol / REFERENCE_OWN_VOL, 0.0)
            } else {
                0.0
            };
            let forces = Forces { push: (0.0, 0.0), vol_mult: libm::sqrt(vol_mult), jump: own_jump, revert };
            let s = own[i].step(rng, model, slot, forces);
            let open = base[i] + asset.beta * m.open + s.open;
            let close = base[i] + asset.beta * m.close + s.close;
            let bar_sd = libm::sqrt(asset.beta * asset.beta * m.sd * m.sd + s.sd * s.sd);
            // Extremes beyond the body: half a bar st. dev. on average each side, which gives the
            // ~1.6 st. dev. mean range of a Brownian bar.
            let high = open.max(close) + 0.6 * bar_sd * rng.normal().abs();
            let low = open.min(close) - 0.6 * bar_sd * rng.normal().abs();
            // Volume grows with how unusual the move was against the symbol's long-run volatility;
            // `activity` averages about 0.8, so the factor below averages about 1. The lognormal
            // noise has mean 1 (its log has mean -σ²/2).
            let expected = total_vol[i] * libm::sqrt(years);
            let activity = if expected > 0.0 { (close - last_close[i]).abs() / expected } else { 1.0 };
            let noise = libm::exp(0.35 * rng.normal() - 0.35 * 0.35 / 2.0);
            let volume = asset.daily_volume * slot.volume_factor * (0.4 + 0.75 * activity) * noise;
            last_close[i] = close;
            out[i].push(to_bar(slot.ts, [open, high, low, close], volume, model));
        }
    }
    Ok(assets.iter().zip(out).map(|(a, bars)| Series { symbol: a.symbol.clone(), bars }).collect())
}

/// For every slot: the scripted (gap, bar) push of the market factor and its volatility multiplier.
fn regime_pushes(model: &Model, slots: &[Slot]) -> Vec<((f64, f64), f64)> {
    let mut pushes = vec![((0.0, 0.0), 1.0); slots.len()];
    for r in &model.regimes {
        let end = (r.from_bar + r.bars).min(slots.len());
        let span = &slots[r.from_bar.min(end)..end];
        let total: f64 = span.iter().map(|s| s.bar_years + s.gap_years).sum();
        if total <= 0.0 {
            continue;
        }
        for (k, s) in span.iter().enumerate() {
            let share = r.market_move / total;
            pushes[r.from_bar + k] = ((share * s.gap_years, share * s.bar_years), r.vol_mult);
        }
    }
    pushes
}

/// Rounds log prices and a volume to an exact-decimal bar that always validates: prices at least
/// one tick, `low <= open, close <= high`.
fn to_bar(ts: i64, log_prices: [f64; 4], volume: f64, model: &Model) -> Bar {
    let price_scale = power_of_ten(model.price_dp);
    let [open, high, low, close] = log_prices.map(|x| to_units(libm::exp(x), price_scale).max(1));
    let high = high.max(open).max(close);
    let low = low.min(open).min(close);
    let dp = model.price_dp;
    Bar {
        ts,
        open: Decimal::new(open, dp),
        high: Decimal::new(high, dp),
        low: Decimal::new(low, dp),
        close: Decimal::new(close, dp),
        volume: Decimal::new(to_units(volume, power_of_ten(model.volume_dp)).max(0), model.volume_dp),
    }
}

/// `x` in integer units of `1 / scale`, rounded half away from zero; the float-to-integer step is
/// the only rounding, so the decimal built from it is exact.
fn to_units(x: f64, scale: f64) -> i64 {
    libm::round(x * scale) as i64
}

/// 10^dp, exact for the few decimal places used (every step is an exact product).
fn power_of_ten(dp: u32) -> f64 {
    (0..dp).fold(1.0, |p, _| p * 10.0)
}

#[cfg(test)]
mod tests {
    use super::super::calendar;
    use super::*;
    use crate::bar::BarResolution;

    fn model() -> Model {
        Model {
            market_drift: 0.0,
            market_vol: 0.2,
            garch_alpha: 0.05,
            garch_persistence: 0.99,
            market_jumps_per_year: 5.0,
            market_jump_size: 0.02,
            jump_skew: -0.3,
            idio_jumps_per_year: 4.0,
            idio_jump_size: 0.04,
            mean_reversion_half_life: None,
            regimes: vec![],
            price_dp: 2,
            volume_dp: 0,
        }
    }

    fn asset(symbol: &str, beta: f64) -> Asset {
        Asset { symbol: symbol.into(), start_price: 100.0, drift: 0.0, beta, idio_vol: 0.1, daily_volume: 1e6 }
    }

    fn log_returns(bars: &[Bar]) -> Vec<f64> {
        let closes: Vec<f64> = bars.iter().map(|b| f64::try_from(b.close).unwrap()).collect();
        closes.windows(2).map(|w| (w[1] / w[0]).ln()).collect()
    }

    #[test]
    fn market_factor_correlates_symbols() {
        let slots = calendar::continuous(0, BarResolution::DAY, 2000);
        let s = generate(&model(), &slots, &[asset("A", 1.0), asset("B", 1.0), asset("C", 0.0)], 5, None).unwrap();
        let (a, b, c) = (log_returns(&s[0].bars), log_returns(&s[1].bars), log_returns(&s[2].bars));
        let corr = |x: &[f64], y: &[f64]| {
            let n = x.len() as f64;
            let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
            let cov: f64 = x.iter().zip(y).map(|(p, q)| (p - mx) * (q - my)).sum();
            let vx: f64 = x.iter().map(|p| (p - mx) * (p - mx)).sum();
            let vy: f64 = y.iter().map(|q| (q - my) * (q - my)).sum();
            cov / (vx * vy).sqrt()
        };
        // beta 1, market vol 0.2, own vol 0.1: 0.04 / 0.05 = 0.8 without jumps; own jumps (news)
        // roughly double the own variance and pull it down to about 0.65.
        assert!(corr(&a, &b) > 0.55, "{}", corr(&a, &b));
        assert!(corr(&a, &c).abs() < 0.15, "{}", corr(&a, &c));
    }

    /// Mean autocorrelation of absolute returns over lags 1..=20.
    fn abs_autocorrelation(bars: &[Bar]) -> f64 {
        let a: Vec<f64> = log_returns(bars).iter().map(|r| r.abs()).collect();
        let mean = a.iter().sum::<f64>() / a.len() as f64;
        let var: f64 = a.iter().map(|x| (x - mean) * (x - mean)).sum();
        let lag = |k: usize| a.windows(k + 1).map(|w| (w[0] - mean) * (w[k] - mean)).sum::<f64>() / var;
        (1..=20).map(lag).sum::<f64>() / 20.0
    }

    #[test]
    fn volatility_clusters() {
        // Large moves follow large moves: absolute returns stay autocorrelated over many bars under
        // GARCH, and not at all when the variance is constant.
        let slots = calendar::continuous(0, BarResolution::HOUR, 20_000);
        let clustered = generate(&model(), &slots, &[asset("A", 1.0)], 11, None).unwrap();
        let constant = Model { garch_alpha: 0.0, ..model() };
        let flat = generate(&constant, &slots, &[asset("A", 1.0)], 11, None).unwrap();
        let (c, f) = (abs_autocorrelation(&clustered[0].bars), abs_autocorrelation(&flat[0].bars));
        assert!(c > 0.04 && f < 0.02, "clustered {c}, constant {f}");
    }

    #[test]
    fn bars_are_always_valid_even_near_one_tick() {
        let mut m = model();
        m.market_vol = 1.5;
        let slots = calendar::continuous(0, BarResolution::HOUR, 5_000);
        let mut penny = asset("P", 1.0);
        penny.start_price = 0.02;
        for series in generate(&m, &slots, &[penny], 3, None).unwrap() {
            for bar in &series.bars {
                bar.validate(&series.symbol).unwrap();
            }
        }
    }

    #[test]
    fn regimes_move_the_market() {
        let mut m = model();
        m.market_vol = 0.05;
        m.market_jumps_per_year = 0.0;
        m.regimes = vec![Regime { from_bar: 100, bars: 50, market_move: -0.5, vol_mult: 2.0 }];
        let slots = calendar::continuous(0, BarResolution::HOUR, 300);
        let s = generate(&m, &slots, &[asset("A", 1.0)], 8, None).unwrap();
        let close = |i: usize| f64::try_from(s[0].bars[i].close).unwrap();
        let drop = close(150) / close(99) - 1.0;
        assert!(drop < -0.3, "{drop}");
    }
}
