//! The built-in scenario catalog: named markets generated deterministically from fixed seeds, plus
//! synthetic markets of any size for benchmarks and tests.
//!
//! Catalog markets are synthetic but built to behave like real ones (`catalog/generator.rs`
//! describes the model): volatility comes in clusters, prices jump now and then, symbols move
//! together through a market factor, equities trade in sessions with overnight gaps and skip NYSE
//! holidays, crypto trades around the clock. Every entry has a fixed seed and the generator uses
//! only portable arithmetic, so [`get`] returns bit-identical bars on every platform and call.

mod calendar;
mod generator;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::bar::BarResolution;
use crate::costs::{CommissionModel, CostModel, SlippageModel};
use crate::error::{Error, ErrorKind, Result, err};
use crate::interrupt::Interrupt;
use crate::rng::Rng;
use crate::scenario::{MarketHours, Scenario, ScenarioConfig, ScenarioInfo};
use crate::time::{MS_PER_DAY, days_from_civil};
use calendar::Slot;
use generator::{Asset, Model, Regime};

/// One built-in scenario: what [`get`] accepts and what a scenario list shows before generating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogEntry {
    /// Identifier passed to [`get`], e.g. `tech-2024-q2`.
    pub slug: &'static str,
    /// Display name.
    pub name: &'static str,
    /// What the scenario is about and what it tests.
    pub description: &'static str,
}

const ENTRIES: [CatalogEntry; 4] = [
    CatalogEntry {
        slug: "tech-2024-q2",
        name: "Tech 2024 Q2",
        description: "Six large US tech stocks (AAPL, MSFT, GOOGL, AMZN, NVDA, META) in hourly bars over the \
            second quarter of 2024: seven bars per regular session, overnight and weekend gaps, NYSE holidays \
            skipped. Synthetic prices from a fixed seed. Cash account without shorting; benchmark SPY.",
    },
    CatalogEntry {
        slug: "crypto-majors-2024-q3",
        name: "Crypto majors 2024 Q3 (24/7)",
        description: "BTC/USD, ETH/USD and SOL/USD in hourly bars around the clock for 90 days from 2024-07-01, \
            with fractional coin volumes, fat-tailed moves and volatility clustering. Synthetic prices from a \
            fixed seed. Shorting and 2x leverage; 10 bps commission, 5 bps slippage, fills capped at 10% of a \
            bar's volume; benchmark CRYPTO-IDX (an index of the crypto market factor).",
    },
    CatalogEntry {
        slug: "crash-and-rebound",
        name: "Crash and partial rebound",
        description: "Hourly US large caps (JPM, BAC, XOM, BA, CAT, TSLA): eight calm weeks, then the market \
            falls about 35% from its high, most of it in five sessions of exploding volatility, wins back part \
            of the loss and stays nervous. Synthetic prices from a fixed seed. 3x leverage, shorting allowed \
            and 25% maintenance margin, so a leveraged long gets liquidated; volume-dependent slippage; \
            benchmark SPY.",
    },
    CatalogEntry {
        slug: "sideways-etfs",
        name: "Sideways sector ETFs 2018-2019",
        description: "Two years of daily bars of five sector ETFs and gold (XLU, XLP, XLV, XLI, XLF, GLD) that \
            mean-revert inside a range: breakouts fail, buy-and-hold goes nowhere, range trading pays. \
            Synthetic prices from a fixed seed. Shorting and 2x leverage; $0.005 per share commission with a \
            $1 minimum; benchmark SPY.",
    },
];

/// How each entry is built, and from which seed. A seed is part of the entry's identity: changing
/// it changes every bar. Each seed was picked among the first forty for a path that fits the
/// description (a gently rising quarter led by NVDA for tech, a flat BTC and a weak ETH for
/// crypto, a ~35 % fall with a partial rebound for the crash, a range for the ETFs).
const BUILDERS: [(Builder, u64); 4] = [
    (tech_2024_q2, TECH_SEED),
    (crypto_majors, CRYPTO_SEED),
    (crash_and_rebound, CRASH_SEED),
    (sideways_etfs, SIDEWAYS_SEED),
];
type Builder = fn(u64) -> Result<Scenario>;
const TECH_SEED: u64 = 30;
const CRYPTO_SEED: u64 = 5;
const CRASH_SEED: u64 = 26;
const SIDEWAYS_SEED: u64 = 3;

/// The built-in scenarios, in a fixed order.
pub fn entries() -> &'static [CatalogEntry] {
    &ENTRIES
}

/// Generates the built-in scenario `slug`; the same slug always gives the same bars.
pub fn get(slug: &str) -> Result<Scenario> {
    match ENTRIES.iter().position(|e| e.slug == slug) {
        Some(i) => BUILDERS[i].0(BUILDERS[i].1),
        None => {
            let allowed = ENTRIES.iter().map(|e| format!("'{}'", e.slug)).collect::<Vec<_>>().join(", ");
            err(ErrorKind::UnknownScenario, format!("unknown scenario '{slug}'; built-in scenarios are: {allowed}"))
        }
    }
}

/// The scenario object of every built-in scenario, in catalog order (generates each one).
pub fn list() -> Vec<ScenarioInfo> {
    BUILDERS.iter().map(|(build, seed)| build(*seed).expect("built-in scenarios are valid").info()).collect()
}

/// A market of any size for benchmarks and tests: `symbols` correlated symbols named `SYM000`,
/// `SYM001`, ... with `bars` bars each, trading around the clock from `start_ts` at `resolution`,
/// plus the benchmark `MKT` (the market factor itself). Same model as the catalog; each symbol's
/// start price, drift, volatility and beta are drawn from `seed`, and a slow mean reversion
/// (half-life five years) keeps prices in a sensible range over very long series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyntheticSpec {
    /// Slug of the resulting scenario.
    pub slug: String,
    /// Number of tradable symbols (1 ..= 999; a benchmark is added).
    pub symbols: usize,
    /// Bars per symbol (at least 1).
    pub bars: usize,
    /// Seed of everything random.
    pub seed: u64,
    /// Length of one bar.
    pub resolution: BarResolution,
    /// Opening time of the first bar, UTC milliseconds.
    pub start_ts: i64,
}

impl Default for SyntheticSpec {
    /// Ten symbols, 1000 hourly bars from 2024-01-01T00:00:00Z, seed 1.
    fn default() -> Self {
        SyntheticSpec {
            slug: "synthetic".to_string(),
            symbols: 10,
            bars: 1000,
            seed: 1,
            resolution: BarResolution::HOUR,
            start_ts: days_from_civil(2024, 1, 1) * MS_PER_DAY,
        }
    }
}

/// Largest universe [`synthetic`] builds: the engine's symbol limit, less the benchmark.
const MAX_SYNTHETIC_SYMBOLS: usize = crate::limits::MAX_SYMBOLS - 1;

/// Builds the synthetic market described by `spec`.
pub fn synthetic(spec: &SyntheticSpec) -> Result<Scenario> {
    synthetic_interruptible(spec, None)
}

/// [`synthetic`] that the host can stop while the bars are made (see [`crate::interrupt`]).
pub fn synthetic_interruptible(spec: &SyntheticSpec, interrupt: Option<&Interrupt>) -> Result<Scenario> {
    if spec.symbols == 0 || spec.symbols > MAX_SYNTHETIC_SYMBOLS {
        return err(
            ErrorKind::InvalidCount,
            format!("symbols must be in 1..={MAX_SYNTHETIC_SYMBOLS}, got {}", spec.symbols),
        );
    }
    if spec.bars == 0 {
        return err(ErrorKind::InvalidCount, "bars must be at least 1");
    }
    // Both checked before a bar is generated: `synthetic(1, 10^9)` is refused at once.
    crate::limits::check_bars(spec.bars.saturating_mul(spec.symbols + 1))?;
    let last = i64::try_from(spec.bars - 1)
        .ok()
        .and_then(|n| n.checked_mul(spec.resolution.millis()))
        .and_then(|span| spec.start_ts.checked_add(span));
    if !last.is_some_and(|ts| {
        (crate::bar::MIN_TS..=crate::bar::MAX_TS).contains(&ts) && spec.start_ts >= crate::bar::MIN_TS
    }) {
        return err(
            ErrorKind::InvalidCount,
            format!("{} bars of {} from {} run past the year 9999", spec.bars, spec.resolution, spec.start_ts),
        );
    }
    let width = (spec.symbols - 1).to_string().len().max(3);
    // Parameters come from their own stream so they do not shift the price paths' stream.
    let mut params = Rng::new(spec.seed ^ 0xa5a5_5eed_0f5e_771e);
    let mut assets: Vec<Asset> = (0..spec.symbols)
        .map(|i| Asset {
            symbol: format!("SYM{i:0width$}"),
            start_price: libm::round(libm::exp(params.uniform_in(libm::log(5.0), libm::log(500.0))) * 100.0) / 100.0,
            drift: 0.05 + 0.1 * params.normal(),
            beta: params.uniform_in(0.5, 1.6),
            idio_vol: params.uniform_in(0.1, 0.5),
            daily_volume: libm::exp(params.uniform_in(libm::log(1e4), libm::log(1e7))),
        })
        .collect();
    assets.push(benchmark("MKT", 1000.0, 0.06, 0.0));
    let slots = calendar::continuous(spec.start_ts, spec.resolution, spec.bars);
    let (garch_alpha, garch_persistence) = garch(slots[0].bar_years, 0.1);
    let model = Model {
        market_drift: 0.06,
        market_vol: 0.2,
        garch_alpha,
        garch_persistence,
        market_jumps_per_year: 6.0,
        market_jump_size: 0.02,
        jump_skew: -0.3,
        idio_jumps_per_year: 4.0,
        idio_jump_size: 0.04,
        mean_reversion_half_life: Some(5.0),
        regimes: Vec::new(),
        price_dp: 2,
        volume_dp: 4,
    };
    let universe: Vec<&str> = assets[..spec.symbols].iter().map(|a| a.symbol.as_str()).collect();
    let mut config = ScenarioConfig::new(&spec.slug, "Synthetic market", &universe);
    config.name = format!("Synthetic market ({} symbols x {} bars, seed {})", spec.symbols, spec.bars, spec.seed);
    config.description = "Generated for benchmarks and tests: correlated symbols around the clock.".to_string();
    config.leverage_cap = Decimal::TWO;
    config.short_enabled = true;
    config.bar_resolution = spec.resolution;
    config.benchmark_symbol = Some("MKT".to_string());
    config.market_hours = MarketHours::Continuous;
    Scenario::new(config, generator::generate(&model, &slots, &assets, spec.seed, interrupt)?)
}

/// GARCH(1,1) parameters for bars of `bar_years`: persistence such that a volatility shock halves
/// in `half_life_years` whatever the bar size, and a reaction well inside the region where
/// returns keep a finite fourth moment (persistence² + 2·alpha² < 1).
fn garch(bar_years: f64, half_life_years: f64) -> (f64, f64) {
    let persistence = libm::pow(0.5, bar_years / half_life_years);
    let alpha = (0.6 * libm::sqrt((1.0 - persistence * persistence) / 2.0)).min(0.1);
    (alpha, persistence)
}

/// `(symbol, start price, drift/yr, beta, own vol/yr, daily volume)` of a catalog symbol.
type AssetRow = (&'static str, f64, f64, f64, f64, f64);

fn assets(rows: &[AssetRow]) -> Vec<Asset> {
    rows.iter()
        .map(|&(symbol, start_price, drift, beta, idio_vol, daily_volume)| Asset {
            symbol: symbol.to_string(),
            start_price,
            drift,
            beta,
            idio_vol,
            daily_volume,
        })
        .collect()
}

/// An index that tracks the market factor closely (beta 1, tiny own volatility).
fn benchmark(symbol: &str, start_price: f64, drift: f64, daily_volume: f64) -> Asset {
    Asset { symbol: symbol.to_string(), start_price, drift, beta: 1.0, idio_vol: 0.01, daily_volume }
}

/// The config of catalog entry `index`, with the universe of `assets` minus the benchmark (last).
fn config(index: usize, assets: &[Asset], resolution: BarResolution, hours: MarketHours) -> ScenarioConfig {
    let entry = &ENTRIES[index];
    let (benchmark, universe) = assets.split_last().expect("catalog scenarios have a benchmark");
    let universe: Vec<&str> = universe.iter().map(|a| a.symbol.as_str()).collect();
    let mut config = ScenarioConfig::new(entry.slug, entry.name, &universe);
    config.description = entry.description.to_string();
    config.bar_resolution = resolution;
    config.benchmark_symbol = Some(benchmark.symbol.clone());
    config.market_hours = hours;
    config
}

fn build(config: ScenarioConfig, model: &Model, slots: &[Slot], assets: &[Asset], seed: u64) -> Result<Scenario> {
    let slug = config.slug.clone();
    Scenario::new(config, generator::generate(model, slots, assets, seed, None)?)
        .map_err(|e| Error::new(e.kind, format!("built-in scenario '{slug}' is inconsistent: {}", e.detail)))
}

/// Hourly equity bars: sessions open at 13:30 UTC (09:30 New York in summer time), 7 bars each.
fn hourly_sessions(first: (i64, u32, u32), last: (i64, u32, u32)) -> Vec<Slot> {
    calendar::exchange_sessions(first, last, 13 * 60 + 30, BarResolution::HOUR, 7, 0.25)
}

fn d(units: i64, dp: u32) -> Decimal {
    Decimal::new(units, dp)
}

fn tech_2024_q2(seed: u64) -> Result<Scenario> {
    let assets = assets(&[
        ("AAPL", 171.48, 0.10, 1.00, 0.20, 55e6),
        ("MSFT", 424.57, 0.12, 1.05, 0.17, 20e6),
        ("GOOGL", 150.93, 0.15, 1.10, 0.24, 28e6),
        ("AMZN", 180.38, 0.14, 1.20, 0.25, 40e6),
        ("NVDA", 90.36, 0.35, 1.80, 0.45, 450e6),
        ("META", 485.58, 0.15, 1.30, 0.33, 15e6),
        ("SPY", 523.07, 0.12, 1.00, 0.01, 60e6),
    ]);
    let slots = hourly_sessions((2024, 4, 1), (2024, 6, 28));
    let (garch_alpha, garch_persistence) = garch(slots[1].bar_years, 0.08);
    let model = Model {
        market_drift: 0.12,
        market_vol: 0.13,
        garch_alpha,
        garch_persistence,
        market_jumps_per_year: 3.0,
        market_jump_size: 0.012,
        jump_skew: -0.3,
        idio_jumps_per_year: 4.0,
        idio_jump_size: 0.045,
        mean_reversion_half_life: None,
        regimes: Vec::new(),
        price_dp: 2,
        volume_dp: 0,
    };
    let config = config(0, &assets, BarResolution::HOUR, MarketHours::US_EQUITIES);
    build(config, &model, &slots, &assets, seed)
}

fn crypto_majors(seed: u64) -> Result<Scenario> {
    let assets = assets(&[
        ("BTC/USD", 62_700.0, 0.20, 1.00, 0.22, 25_000.0),
        ("ETH/USD", 3_430.0, 0.15, 1.15, 0.30, 250_000.0),
        ("SOL/USD", 146.0, 0.25, 1.35, 0.55, 2_500_000.0),
        ("CRYPTO-IDX", 1_000.0, 0.20, 1.00, 0.01, 0.0),
    ]);
    let start = days_from_civil(2024, 7, 1) * MS_PER_DAY;
    let slots = calendar::continuous(start, BarResolution::HOUR, 90 * 24);
    let (garch_alpha, garch_persistence) = garch(slots[0].bar_years, 0.03);
    let model = Model {
        market_drift: 0.20,
        market_vol: 0.50,
        garch_alpha,
        garch_persistence,
        market_jumps_per_year: 20.0,
        market_jump_size: 0.025,
        jump_skew: -0.2,
        idio_jumps_per_year: 12.0,
        idio_jump_size: 0.03,
        mean_reversion_half_life: None,
        regimes: Vec::new(),
        price_dp: 2,
        volume_dp: 4,
    };
    let mut config = config(1, &assets, BarResolution::HOUR, MarketHours::Continuous);
    config.leverage_cap = Decimal::TWO;
    config.short_enabled = true;
    config.costs = CostModel {
        slippage: SlippageModel::FixedBps { bps: d(5, 0) },
        commission: CommissionModel { bps: d(10, 0), ..CommissionModel::default() },
        max_volume_participation: Some(d(1, 1)),
    };
    build(config, &model, &slots, &assets, seed)
}

fn crash_and_rebound(seed: u64) -> Result<Scenario> {
    let assets = assets(&[
        ("JPM", 145.0, 0.08, 1.10, 0.18, 10e6),
        ("BAC", 29.0, 0.06, 1.30, 0.22, 40e6),
        ("XOM", 107.0, 0.05, 0.80, 0.22, 16e6),
        ("BA", 212.0, 0.05, 1.40, 0.30, 6e6),
        ("CAT", 265.0, 0.08, 1.10, 0.24, 3e6),
        ("TSLA", 276.0, 0.10, 1.90, 0.45, 110e6),
        ("SPY", 443.0, 0.08, 1.00, 0.01, 80e6),
    ]);
    // 83 sessions: 2023-07-03 .. 2023-10-27 without July 4th and Labor Day.
    let slots = hourly_sessions((2023, 7, 3), (2023, 10, 27));
    let session = |n: usize| n * 7;
    let (garch_alpha, garch_persistence) = garch(slots[1].bar_years, 0.08);
    let model = Model {
        market_drift: 0.08,
        market_vol: 0.16,
        garch_alpha,
        garch_persistence,
        market_jumps_per_year: 3.0,
        market_jump_size: 0.015,
        jump_skew: -0.4,
        idio_jumps_per_year: 4.0,
        idio_jump_size: 0.04,
        mean_reversion_half_life: None,
        regimes: vec![
            Regime { from_bar: 0, bars: session(40), market_move: 0.0, vol_mult: 0.7 },
            Regime { from_bar: session(40), bars: session(5), market_move: -0.42, vol_mult: 3.5 },
            Regime { from_bar: session(45), bars: session(15), market_move: 0.22, vol_mult: 2.2 },
            Regime { from_bar: session(60), bars: session(23), market_move: 0.0, vol_mult: 1.4 },
        ],
        price_dp: 2,
        volume_dp: 0,
    };
    let mut config = config(2, &assets, BarResolution::HOUR, MarketHours::US_EQUITIES);
    config.leverage_cap = Decimal::from(3);
    config.short_enabled = true;
    config.maintenance_margin = d(25, 2);
    config.costs.slippage = SlippageModel::VolumeShare { base_bps: d(2, 0), bps_per_pct_of_volume: d(1, 0) };
    build(config, &model, &slots, &assets, seed)
}

fn sideways_etfs(seed: u64) -> Result<Scenario> {
    let assets = assets(&[
        ("XLU", 54.0, 0.0, 0.50, 0.12, 12e6),
        ("XLP", 56.0, 0.0, 0.60, 0.10, 10e6),
        ("XLV", 83.0, 0.0, 0.80, 0.11, 8e6),
        ("XLI", 76.0, 0.0, 1.00, 0.10, 11e6),
        ("XLF", 28.0, 0.0, 1.10, 0.12, 45e6),
        ("GLD", 125.0, 0.0, 0.10, 0.13, 8e6),
        ("SPY", 268.0, 0.0, 1.00, 0.01, 80e6),
    ]);
    // Daily bars stamped at midnight UTC of the trading day, like most daily data files.
    let slots = calendar::exchange_sessions((2018, 1, 2), (2019, 12, 31), 0, BarResolution::DAY, 1, 0.25);
    let (garch_alpha, garch_persistence) = garch(slots[1].bar_years + slots[1].gap_years, 0.1);
    let model = Model {
        market_drift: 0.0,
        market_vol: 0.17,
        garch_alpha,
        garch_persistence,
        market_jumps_per_year: 2.0,
        market_jump_size: 0.012,
        jump_skew: -0.3,
        idio_jumps_per_year: 1.0,
        idio_jump_size: 0.02,
        mean_reversion_half_life: Some(0.08),
        regimes: Vec::new(),
        price_dp: 2,
        volume_dp: 0,
    };
    let mut config = config(3, &assets, BarResolution::DAY, MarketHours::US_EQUITIES);
    config.leverage_cap = Decimal::TWO;
    config.short_enabled = true;
    config.costs.commission = CommissionModel { per_unit: d(5, 3), bps: Decimal::ZERO, minimum: Decimal::ONE };
    build(config, &model, &slots, &assets, seed)
}

#[cfg(test)]
mod tests;
