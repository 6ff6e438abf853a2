//! Scenarios: a frozen market (bars per symbol on one timeline) plus the rules a run trades under.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::bar::{Bar, BarResolution};
use crate::costs::CostModel;
use crate::error::{ErrorKind, Result, err};
use crate::limits::{MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, MAX_SYMBOLS, check_account_rules, check_text};
use crate::time::format_rfc3339;

pub use crate::time::session_of;

/// Whether a scenario can be run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScenarioStatus {
    /// Bars are complete; runs may start.
    #[default]
    Ready,
}

/// When the market trades; decides how many bars make a year for annualised metrics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MarketHours {
    /// An exchange open `session_minutes` a day on `sessions_per_year` days (US equities: 390 × 252).
    Exchange {
        /// Trading days per year.
        sessions_per_year: u32,
        /// Minutes of trading per session.
        session_minutes: u32,
    },
    /// Trades around the clock every day (crypto): 365 days of 24 hours.
    Continuous,
    /// An explicit number of bars per year.
    Custom {
        /// Bars per year used to annualise.
        periods_per_year: f64,
    },
}

impl MarketHours {
    /// US equities: 252 sessions of 6.5 hours.
    pub const US_EQUITIES: MarketHours = MarketHours::Exchange { sessions_per_year: 252, session_minutes: 390 };

    /// Bars per year at `resolution`: for an exchange, `sessions_per_year × ceil(session_minutes /
    /// bar minutes)` intraday, `sessions_per_year` daily and `52` weekly; continuous markets use
    /// `365 × 1440 / bar minutes`.
    pub fn periods_per_year(self, resolution: BarResolution) -> f64 {
        let minutes = resolution.minutes();
        match self {
            MarketHours::Exchange { sessions_per_year, session_minutes } => {
                if minutes >= 10_080 {
                    52.0 * 10_080.0 / f64::from(minutes)
                } else if minutes >= 1440 {
                    f64::from(sessions_per_year) * 1440.0 / f64::from(minutes)
                } else {
                    f64::from(sessions_per_year) * f64::from(session_minutes.div_ceil(minutes))
                }
            }
            MarketHours::Continuous => 365.0 * 1440.0 / f64::from(minutes),
            MarketHours::Custom { periods_per_year } => periods_per_year,
        }
    }
}

/// Everything about a scenario except its bars: the fields of the hosted benchmark's scenario
/// object plus the cost and margin rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioConfig {
    /// Identifier used to start runs, e.g. `tech-2024-q2`.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// What the scenario is about.
    #[serde(default)]
    pub description: String,
    /// Readiness.
    #[serde(default)]
    pub status: ScenarioStatus,
    /// The symbols agents may trade, in a fixed order.
    pub universe: Vec<String>,
    /// Cash each agent starts with.
    #[serde(default = "defaults::starting_cash", deserialize_with = "crate::num::exact::decimal")]
    pub starting_cash: Decimal,
    /// Maximum gross exposure / equity (1 = cash account).
    #[serde(default = "defaults::leverage_cap", deserialize_with = "crate::num::exact::decimal")]
    pub leverage_cap: Decimal,
    /// Whether `short` orders are allowed.
    #[serde(default)]
    pub short_enabled: bool,
    /// Length of one bar.
    pub bar_resolution: BarResolution,
    /// Observable but not tradable symbol whose buy-and-hold return is the benchmark.
    #[serde(default)]
    pub benchmark_symbol: Option<String>,
    /// Slippage, commission and volume participation.
    #[serde(default)]
    pub costs: CostModel,
    /// Equity below `maintenance_margin × gross exposure` triggers liquidation at the next open.
    #[serde(default = "defaults::maintenance_margin", deserialize_with = "crate::num::exact::decimal")]
    pub maintenance_margin: Decimal,
    /// Trading hours, for annualisation.
    #[serde(default = "defaults::market_hours")]
    pub market_hours: MarketHours,
    /// Sessions (for DAY orders and the daily loss limit) are calendar days shifted by this many
    /// minutes from UTC; 0 suits US equities (a session never crosses UTC midnight) and crypto.
    #[serde(default)]
    pub session_utc_offset_minutes: i32,
}

/// The defaults of a scenario's rules, shared by [`ScenarioConfig::new`] and by configs read from
/// JSON that leave a field out (so every SDK gets the same defaults from one place).
mod defaults {
    use super::{Decimal, MarketHours};

    pub(super) fn starting_cash() -> Decimal {
        Decimal::from(100_000)
    }
    pub(super) fn leverage_cap() -> Decimal {
        Decimal::ONE
    }
    pub(super) fn maintenance_margin() -> Decimal {
        Decimal::new(25, 2)
    }
    pub(super) fn market_hours() -> MarketHours {
        MarketHours::US_EQUITIES
    }
}

impl ScenarioConfig {
    /// A config with hosted-benchmark defaults: 100 000 of cash, cash account (leverage 1), no
    /// shorting, 2 bps slippage, no commission, 25 % maintenance margin, US equity hours, hourly
    /// bars. JSON configs that leave these fields out get the same values.
    pub fn new(slug: &str, name: &str, universe: &[&str]) -> Self {
        ScenarioConfig {
            slug: slug.to_string(),
            name: name.to_string(),
            description: String::new(),
            status: ScenarioStatus::Ready,
            universe: universe.iter().map(|s| s.to_string()).collect(),
            starting_cash: defaults::starting_cash(),
            leverage_cap: defaults::leverage_cap(),
            short_enabled: false,
            bar_resolution: BarResolution::HOUR,
            benchmark_symbol: None,
            costs: CostModel::default(),
            maintenance_margin: defaults::maintenance_margin(),
            market_hours: defaults::market_hours(),
            session_utc_offset_minutes: 0,
        }
    }

    /// The session (calendar day number) a timestamp belongs to.
    pub fn session_of(&self, ts: i64) -> i64 {
        session_of(ts, self.session_utc_offset_minutes)
    }

    fn validate(&self) -> Result<()> {
        if self.slug.is_empty() || !self.slug.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return err(
                ErrorKind::InvalidScenario,
                format!("slug must be non-empty ASCII letters, digits, '-' or '_', got '{}'", self.slug),
            );
        }
        check_text("slug", &self.slug, MAX_NAME_CHARS)?;
        check_text("name", &self.name, MAX_NAME_CHARS)?;
        if self.description.chars().nth(MAX_DESCRIPTION_CHARS).is_some() {
            return err(
                ErrorKind::InvalidArgument,
                format!("`description` must be at most {MAX_DESCRIPTION_CHARS} characters"),
            );
        }
        if self.universe.is_empty() {
            return err(ErrorKind::InvalidScenario, "universe must name at least one symbol");
        }
        for symbol in self.universe.iter().chain(&self.benchmark_symbol) {
            check_text("symbol", symbol, MAX_NAME_CHARS)?;
        }
        let mut seen = std::collections::BTreeSet::new();
        for s in &self.universe {
            if s.is_empty() || !seen.insert(s.as_str()) {
                return err(ErrorKind::InvalidScenario, format!("universe has an empty or repeated symbol '{s}'"));
            }
        }
        if let Some(b) = &self.benchmark_symbol
            && self.universe.contains(b)
        {
            return err(ErrorKind::InvalidScenario, format!("benchmark '{b}' must not also be in the universe"));
        }
        if self.universe.len() + usize::from(self.benchmark_symbol.is_some()) > MAX_SYMBOLS {
            return err(ErrorKind::InvalidScenario, format!("at most {MAX_SYMBOLS} symbols (universe and benchmark)"));
        }
        check_account_rules(
            self.starting_cash,
            self.leverage_cap,
            self.maintenance_margin,
            self.session_utc_offset_minutes,
        )?;
        if let MarketHours::Custom { periods_per_year } = self.market_hours
            && !(periods_per_year.is_finite() && periods_per_year > 0.0)
        {
            return err(ErrorKind::InvalidScenario, "custom periods_per_year must be a positive number");
        }
        self.costs.validate()
    }
}

/// The bars of one symbol, strictly ascending in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    /// Ticker.
    pub symbol: String,
    /// Bars, ascending by `ts`, at most one per timestamp.
    pub bars: Vec<Bar>,
}

/// A ready-to-run scenario: config, bars of every universe symbol (and the benchmark), and the
/// timeline (the union of all bar timestamps). Immutable once built.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    config: ScenarioConfig,
    series: Vec<Series>,
    timeline: Vec<i64>,
    fingerprint: u64,
}

/// The scenario object of the hosted API: config plus first and last bar times (output only).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioInfo {
    /// The config, flattened into the object.
    #[serde(flatten)]
    pub config: ScenarioConfig,
    /// First bar time, RFC 3339.
    pub start_ts: String,
    /// Last bar time, RFC 3339.
    pub end_ts: String,
    /// Number of timeline steps.
    pub bar_count: usize,
}

impl Scenario {
    /// Builds a scenario. Every universe symbol (and the benchmark, if any) needs a series; bars are
    /// validated and must be strictly ascending. Series for other symbols are refused.
    pub fn new(config: ScenarioConfig, series: Vec<Series>) -> Result<Self> {
        config.validate()?;
        crate::limits::check_bars(series.iter().map(|s| s.bars.len()).fold(0, usize::saturating_add))?;
        let mut by_symbol: BTreeMap<String, Vec<Bar>> = BTreeMap::new();
        for s in series {
            if by_symbol.insert(s.symbol.clone(), s.bars).is_some() {
                return err(ErrorKind::InvalidScenario, format!("two series for symbol '{}'", s.symbol));
            }
        }
        let wanted: Vec<&String> = config.universe.iter().chain(config.benchmark_symbol.as_ref()).collect();
        if let Some(extra) = by_symbol.keys().find(|k| !wanted.contains(k)) {
            return err(
                ErrorKind::InvalidScenario,
                format!("series for '{extra}' which is neither in the universe nor the benchmark"),
            );
        }
        let mut ordered = Vec::with_capacity(wanted.len());
        for symbol in wanted {
            let bars = by_symbol
                .remove(symbol)
                .ok_or_else(|| crate::Error::new(ErrorKind::InvalidScenario, format!("no bars for '{symbol}'")))?;
            if bars.is_empty() {
                return err(ErrorKind::InvalidScenario, format!("no bars for '{symbol}'"));
            }
            for (i, bar) in bars.iter().enumerate() {
                bar.validate(symbol)?;
                if i > 0 && bars[i - 1].ts >= bar.ts {
                    return err(
                        ErrorKind::OutOfOrderBar,
                        format!(
                            "{symbol}: bar at {} does not come after the bar at {}",
                            format_rfc3339(bar.ts),
                            format_rfc3339(bars[i - 1].ts)
                        ),
                    );
                }
            }
            ordered.push(Series { symbol: symbol.clone(), bars });
        }
        let mut timeline: Vec<i64> = ordered.iter().flat_map(|s| s.bars.iter().map(|b| b.ts)).collect();
        timeline.sort_unstable();
        timeline.dedup();
        let fingerprint = fingerprint(&config, &ordered);
        Ok(Scenario { config, series: ordered, timeline, fingerprint })
    }

    /// The same bars under `config` (checked; the bars were when this scenario was built). Its
    /// universe and benchmark must name every series of this scenario.
    pub fn with_config(&self, config: ScenarioConfig) -> Result<Self> {
        config.validate()?;
        let wanted: Vec<&String> = config.universe.iter().chain(config.benchmark_symbol.as_ref()).collect();
        let mut series = Vec::with_capacity(wanted.len());
        for symbol in wanted {
            let s = self.series_of(symbol).ok_or_else(|| {
                crate::Error::new(ErrorKind::InvalidScenario, format!("'{symbol}' is not a symbol of this scenario"))
            })?;
            series.push(s.clone());
        }
        if let Some(left) = self.series.iter().find(|s| !series.iter().any(|kept| kept.symbol == s.symbol)) {
            return err(
                ErrorKind::InvalidScenario,
                format!("'{}' must stay in the universe or be the benchmark", left.symbol),
            );
        }
        let fingerprint = fingerprint(&config, &series);
        Ok(Scenario { config, series, timeline: self.timeline.clone(), fingerprint })
    }

    /// The config.
    pub fn config(&self) -> &ScenarioConfig {
        &self.config
    }

    /// Universe series first (in universe order), then the benchmark's.
    pub fn series(&self) -> &[Series] {
        &self.series
    }

    /// The series of `symbol`, if the scenario has one.
    pub fn series_of(&self, symbol: &str) -> Option<&Series> {
        self.series.iter().find(|s| s.symbol == symbol)
    }

    /// Index of `symbol`'s series (the order of [`Scenario::series`]); an unknown symbol is an
    /// error listing the scenario's symbols.
    pub fn series_index(&self, symbol: &str) -> crate::Result<usize> {
        self.series.iter().position(|s| s.symbol == symbol).ok_or_else(|| {
            let known: Vec<&str> = self.series.iter().map(|s| s.symbol.as_str()).collect();
            crate::Error::new(
                crate::ErrorKind::UnknownSymbol,
                format!("symbol '{symbol}' is not in this scenario; observable symbols: {}", known.join(", ")),
            )
        })
    }

    /// Every bar timestamp of any symbol, ascending, without repeats.
    pub fn timeline(&self) -> &[i64] {
        &self.timeline
    }

    /// The bars at timeline step `t` as `(series index, bar)`, for a feed that pushes a scenario
    /// into an [`crate::Engine`] one timestamp at a time; empty past the end.
    pub fn bars_at(&self, t: usize) -> Vec<(usize, Bar)> {
        let Some(&ts) = self.timeline.get(t) else { return Vec::new() };
        self.series
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let j = s.bars.partition_point(|b| b.ts < ts);
                s.bars.get(j).filter(|b| b.ts == ts).map(|b| (i, *b))
            })
            .collect()
    }

    /// A 64-bit FNV-1a digest of the config and every bar; snapshots carry it so a snapshot is only
    /// restored onto the scenario it was taken from.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The hosted API's scenario object.
    pub fn info(&self) -> ScenarioInfo {
        ScenarioInfo {
            config: self.config.clone(),
            start_ts: format_rfc3339(self.timeline[0]),
            end_ts: format_rfc3339(*self.timeline.last().expect("a scenario has bars")),
            bar_count: self.timeline.len(),
        }
    }

    /// Bars per year used to annualise metrics.
    pub fn periods_per_year(&self) -> f64 {
        self.config.market_hours.periods_per_year(self.config.bar_resolution)
    }
}

/// FNV-1a over a canonical text of the config and bars.
fn fingerprint(config: &ScenarioConfig, series: &[Series]) -> u64 {
    let mut h = Fnv::new();
    h.write(serde_json::to_string(config).expect("config serialises").as_bytes());
    for s in series {
        h.write(s.symbol.as_bytes());
        for b in &s.bars {
            h.write(&b.ts.to_le_bytes());
            for v in [b.open, b.high, b.low, b.close, b.volume] {
                h.write(&v.serialize());
            }
        }
    }
    h.finish()
}

/// 64-bit FNV-1a: tiny, portable, stable across platforms and releases.
pub(crate) struct Fnv(u64);

impl Fnv {
    pub(crate) fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    pub(crate) fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_per_year_follow_market_hours() {
        let eq = MarketHours::US_EQUITIES;
        assert_eq!(eq.periods_per_year(BarResolution::HOUR), 1764.0);
        assert_eq!(eq.periods_per_year(BarResolution::parse("15Min").unwrap()), 252.0 * 26.0);
        assert_eq!(eq.periods_per_year(BarResolution::DAY), 252.0);
        assert_eq!(eq.periods_per_year(BarResolution::WEEK), 52.0);
        assert_eq!(MarketHours::Continuous.periods_per_year(BarResolution::HOUR), 8760.0);
        assert_eq!(MarketHours::Continuous.periods_per_year(BarResolution::DAY), 365.0);
    }

    #[test]
    fn sessions_shift_with_the_offset() {
        let ts = crate::time::parse_timestamp("2024-04-01T23:30:00Z").unwrap();
        assert_eq!(session_of(ts, 0) + 1, session_of(ts, 60), "one hour later it is the next day");
    }
}
