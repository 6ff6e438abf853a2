//! The engine as JSON text, the form every binding hands across its language border.
//!
//! Structured values cross as the serde JSON of the core's own types (decimals as strings, so
//! money never becomes a float on the way). Bindings call these functions and only convert
//! strings, numbers and errors into their language's types: the Python module, the Node addon and
//! the WebAssembly build therefore parse, validate and answer identically, down to the wording of
//! an error naming a misspelt field.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bar::bars_from_columns;
use crate::error::{Error, ErrorFamily, ErrorKind, Result};
use crate::run::{Action, Outcome, Run, RunOptions};
use crate::scenario::{Scenario, ScenarioConfig, Series};
use crate::{AgentId, SyntheticSpec, catalog};

/// Parses JSON into `T`. A bad value (an unknown enum spelling, a wrong type, an unknown field)
/// is an `InvalidInput` error naming where it is, e.g. ``order.side: `side` must be one of ...``;
/// `what` names the whole value.
pub fn from_json<T: DeserializeOwned>(what: &str, json: &str) -> Result<T> {
    let de = &mut serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let text = e.into_inner().to_string();
        let text = text.split(" at line ").next().unwrap_or(&text);
        // Enormous numbers are echoed back in full by serde; a person needs the start of it.
        let text = if text.chars().count() > 300 {
            format!("{}...", text.chars().take(300).collect::<String>())
        } else {
            text.to_string()
        };
        let kind = if text.contains("must be one of") || text.contains("unknown variant") {
            ErrorKind::InvalidEnumValue
        } else if text.contains(crate::num::exact::INEXACT) {
            decimal_kind(&path)
        } else {
            ErrorKind::InvalidArgument
        };
        let at = if path == "." { what.to_string() } else { format!("{what}.{path}") };
        Error::new(kind, format!("{at}: {text}"))
    })
}

/// The kind of error of a decimal that cannot be read exactly, by the field it is in: a
/// quantity's is `invalid_quantity`, a price's `invalid_price`, as when the value is out of range.
fn decimal_kind(path: &str) -> ErrorKind {
    let field = path.rsplit('.').next().unwrap_or(path);
    if field.contains("quantity") || field == "units" {
        ErrorKind::InvalidQuantity
    } else if field.contains("price") || field == "stop_loss" || field == "take_profit" || field == "limit" {
        ErrorKind::InvalidPrice
    } else {
        ErrorKind::InvalidArgument
    }
}

/// The JSON of an engine value.
#[must_use]
pub fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("engine values serialise")
}

/// Run options from JSON, or the defaults.
pub fn run_options(json: Option<&str>) -> Result<RunOptions> {
    json.map_or_else(|| Ok(RunOptions::default()), |j| from_json("run options", j))
}

/// A synthetic market from the JSON of a [`SyntheticSpec`].
pub fn synthetic(spec_json: &str) -> Result<Scenario> {
    synthetic_interruptible(spec_json, None)
}

/// [`synthetic`] that the host can stop while the bars are made (see [`crate::interrupt`]).
pub fn synthetic_interruptible(spec_json: &str, interrupt: Option<&crate::Interrupt>) -> Result<Scenario> {
    catalog::synthetic_interruptible(&from_json::<SyntheticSpec>("synthetic spec", spec_json)?, interrupt)
}

/// A scenario from a config (JSON) and its series (JSON list of `{symbol, bars}`).
pub fn scenario_from_series(config_json: &str, series_json: &str) -> Result<Scenario> {
    let config: ScenarioConfig = from_json("scenario config", config_json)?;
    Scenario::new(config, from_json("series", series_json)?)
}

/// The trading rules of a scenario made from a user's own bars, as the SDKs take them (every
/// field optional; a rule left out takes the engine's default: 100 000 of cash, leverage 1, no
/// shorting, 2 bps slippage, no commission, 25 % maintenance margin, US equity hours). A
/// misspelt rule is refused.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Slug of the scenario (default `custom`).
    pub slug: Option<String>,
    /// Display name (default: the slug).
    pub name: Option<String>,
    /// Cash at the start.
    #[serde(default, deserialize_with = "crate::num::exact::option")]
    pub starting_cash: Option<rust_decimal::Decimal>,
    /// Largest gross exposure as a multiple of equity.
    #[serde(default, deserialize_with = "crate::num::exact::option")]
    pub leverage_cap: Option<rust_decimal::Decimal>,
    /// Whether agents may sell short.
    pub short_enabled: Option<bool>,
    /// Bar length, e.g. `1Hour`; left out, it is read off the bar times.
    pub bar_resolution: Option<crate::BarResolution>,
    /// A symbol of the data used as the benchmark, not traded.
    pub benchmark_symbol: Option<String>,
    /// Trading hours, for annualisation.
    pub market_hours: Option<crate::MarketHours>,
    /// Fixed slippage in basis points.
    #[serde(default, deserialize_with = "crate::num::exact::option")]
    pub slippage_bps: Option<rust_decimal::Decimal>,
    /// Commission: any of `per_unit`, `bps`, `minimum`.
    pub commission: Option<serde_json::Map<String, serde_json::Value>>,
    /// Largest fraction of a bar's volume one agent's order may take.
    #[serde(default, deserialize_with = "crate::num::exact::option")]
    pub max_volume_participation: Option<rust_decimal::Decimal>,
    /// Maintenance margin as a fraction of gross exposure.
    #[serde(default, deserialize_with = "crate::num::exact::option")]
    pub maintenance_margin: Option<rust_decimal::Decimal>,
}

/// The config (JSON) of a scenario holding `symbols` whose first series has bars at `times`
/// (UTC ms), under `rules` (JSON of [`Rules`]). Every symbol but the benchmark is tradable.
pub fn config_from_rules(rules_json: &str, symbols: &[String], times: &[i64]) -> Result<String> {
    let rules: Rules = from_json("rules", rules_json)?;
    let slug = rules.slug.clone().unwrap_or_else(|| "custom".to_string());
    let base = serde_json::json!({
        "name": slug.clone(),
        "slug": slug,
        "bar_resolution": crate::BarResolution::infer(times),
    });
    Ok(to_json(&apply_rules(base, rules, symbols)?))
}

/// `scenario`'s bars under other rules (JSON of [`Rules`]): each rule given replaces the
/// scenario's (a commission replaces its whole commission model), the others are kept. Every
/// symbol but the benchmark is tradable. The bars are copied, not checked again.
pub fn with_rules(scenario: &Scenario, rules_json: &str) -> Result<Scenario> {
    let rules: Rules = from_json("rules", rules_json)?;
    let symbols: Vec<String> = scenario.series().iter().map(|s| s.symbol.clone()).collect();
    let base = serde_json::to_value(scenario.config()).expect("configs serialise");
    scenario.with_config(apply_rules(base, rules, &symbols)?)
}

/// `config` (a scenario config as JSON) with the fields `rules` gives replaced, the universe set
/// to every symbol but the benchmark, read back through the config's own parser (its defaults
/// fill what is left out and it checks the result).
fn apply_rules(mut config: serde_json::Value, rules: Rules, symbols: &[String]) -> Result<ScenarioConfig> {
    let fields = config.as_object_mut().expect("a config is an object");
    let mut set = |key: &str, value: Option<serde_json::Value>| {
        if let Some(v) = value {
            fields.insert(key.to_string(), v);
        }
    };
    set("slug", rules.slug.map(serde_json::Value::String));
    set("name", rules.name.map(serde_json::Value::String));
    set("bar_resolution", rules.bar_resolution.map(|r| serde_json::json!(r)));
    set("benchmark_symbol", rules.benchmark_symbol.map(serde_json::Value::String));
    set("starting_cash", rules.starting_cash.map(|d| serde_json::json!(d)));
    set("leverage_cap", rules.leverage_cap.map(|d| serde_json::json!(d)));
    set("maintenance_margin", rules.maintenance_margin.map(|d| serde_json::json!(d)));
    set("short_enabled", rules.short_enabled.map(serde_json::Value::Bool));
    set("market_hours", rules.market_hours.map(|h| serde_json::json!(h)));
    let benchmark = fields.get("benchmark_symbol").and_then(serde_json::Value::as_str).map(str::to_string);
    let universe: Vec<&String> = symbols.iter().filter(|s| Some(*s) != benchmark.as_ref()).collect();
    fields.insert("universe".into(), serde_json::json!(universe));
    let costs = fields.entry("costs").or_insert_with(|| serde_json::json!({}));
    let costs = costs.as_object_mut().expect("costs are an object");
    if let Some(bps) = rules.slippage_bps {
        costs.insert("slippage".into(), serde_json::json!({"model": "fixed_bps", "bps": bps}));
    }
    if let Some(c) = rules.commission {
        costs.insert("commission".into(), serde_json::Value::Object(c));
    }
    if let Some(p) = rules.max_volume_participation {
        costs.insert("max_volume_participation".into(), serde_json::json!(p));
    }
    from_json("rules", &config.to_string())
}

/// One symbol's bars as float columns, as data libraries hold them (numpy, typed arrays): times
/// in UTC milliseconds, then open, high, low, close and volume.
pub struct Columns {
    /// Ticker.
    pub symbol: String,
    /// Bar opening times, UTC milliseconds.
    pub ts: Vec<i64>,
    /// Opens, highs, lows, closes and volumes, in that order.
    pub ohlcv: [Vec<f64>; 5],
}

/// A scenario from a config (JSON) and float columns per symbol; each float becomes the decimal
/// of its shortest representation ([`bars_from_columns`]).
pub fn scenario_from_columns(config_json: &str, columns: Vec<Columns>) -> Result<Scenario> {
    let config: ScenarioConfig = from_json("scenario config", config_json)?;
    let mut series = Vec::with_capacity(columns.len());
    for c in columns {
        let [open, high, low, close, volume] = &c.ohlcv;
        let bars = bars_from_columns(&c.symbol, &c.ts, open, high, low, close, volume)?;
        series.push(Series { symbol: c.symbol, bars });
    }
    Scenario::new(config, series)
}

/// Queues an order (JSON `OrderRequest`), under an idempotency key if given; the order, JSON.
pub fn submit(run: &mut Run, agent: AgentId, order_json: &str, key: Option<&str>) -> Result<String> {
    let request = from_json("order", order_json)?;
    let order = match key {
        Some(key) => run.submit_with_key(agent, request, key)?,
        None => run.submit(agent, request)?,
    };
    Ok(to_json(&order))
}

/// Cancels a working order, under an idempotency key if given; the order, JSON.
pub fn cancel(run: &mut Run, agent: AgentId, order_id: u64, key: Option<&str>) -> Result<String> {
    let order = match key {
        Some(key) => match run.perform(Some(key), Action::Cancel { agent, order_id })? {
            Outcome::Order(r) => *r,
            Outcome::Step(_) => unreachable!("a cancel is answered with an order"),
        },
        None => run.cancel(agent, order_id),
    }?;
    Ok(to_json(&order))
}

/// Advances up to `count` bars, under an idempotency key if given; the step report, JSON.
pub fn step(run: &mut Run, count: u32, key: Option<&str>) -> Result<String> {
    let report = match key {
        Some(key) => run.step_with_key(count, key)?,
        None => run.step(count)?,
    };
    Ok(to_json(&report))
}

/// Bars up to `sim_time` of `symbols` (all when `None`), JSON `{sim_time, bars: [{symbol, bars}]}`;
/// with `agent`, the request counts against that agent's rate limit.
pub fn market(run: &mut Run, agent: Option<AgentId>, symbols: Option<&[String]>, lookback: usize) -> Result<String> {
    let names: Option<Vec<&str>> = symbols.map(|s| s.iter().map(String::as_str).collect());
    let view = match agent {
        Some(agent) => run.market_for(agent, names.as_deref(), lookback)?,
        None => run.market(names.as_deref(), lookback)?,
    };
    Ok(to_json(&view))
}

/// The agent's status as its wire word (`active`, `margin_call`, `liquidated`).
pub fn status(run: &Run, agent: AgentId) -> Result<String> {
    Ok(to_json(&run.engine().status(agent)?).trim_matches('"').to_string())
}

/// The built-in catalog: `(slug, name, description)` per entry.
#[must_use]
pub fn catalog_entries() -> Vec<(String, String, String)> {
    catalog::entries().iter().map(|e| (e.slug.into(), e.name.into(), e.description.into())).collect()
}

/// Every error code with its family, in declaration order.
#[must_use]
pub fn error_codes() -> Vec<(&'static str, &'static str)> {
    ErrorKind::ALL.iter().map(|k| (k.code(), k.family().as_str())).collect()
}

impl ErrorFamily {
    /// The family's wire word, e.g. `order_rejected`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorFamily::InvalidInput => "invalid_input",
            ErrorFamily::OrderRejected => "order_rejected",
            ErrorFamily::RiskLimitExceeded => "risk_limit_exceeded",
            ErrorFamily::RateLimited => "rate_limited",
            ErrorFamily::Conflict => "conflict",
            ErrorFamily::NotFound => "not_found",
            ErrorFamily::InvalidState => "invalid_state",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::OrderRequest;

    #[test]
    fn bad_json_names_the_field_and_the_kind() {
        let e = from_json::<OrderRequest>("order", r#"{"symbol":"A","side":"hold","quantity":"1"}"#).unwrap_err();
        assert_eq!(e.code(), "invalid_enum_value");
        assert_eq!(e.detail, "order.side: `side` must be one of {'buy', 'sell', 'short', 'cover'}, got 'hold'");
        let e = from_json::<OrderRequest>("order", r#"{"symbol":"A","side":"buy","quantity":[1]}"#).unwrap_err();
        assert_eq!((e.code(), e.detail.starts_with("order.quantity: ")), ("invalid_argument", true));
    }

    #[test]
    fn sweep_columns_are_split_from_bytes_stored_column_after_column() {
        let stops = data::signal_stops(Some(r#"{"sl_stop": 0.02, "tp_stop": "0.03", "sl_trail": true}"#)).unwrap();
        assert_eq!(stops.sl_stop, Some(rust_decimal::Decimal::new(2, 2)));
        assert_eq!(stops.tp_stop, Some(rust_decimal::Decimal::new(3, 2)));
        assert!(stops.sl_trail);
        assert_eq!(data::signal_stops(None).unwrap(), Default::default());
        let columns =
            data::signal_columns(2, &[1, 0, 0, 0, 1, 0], &[0, 0, 1, 0, 0, 1], None, Some(&[0; 6]), stops).unwrap();
        assert_eq!(columns.len(), 2);
        assert_eq!(
            (columns[0].entries.as_slice(), columns[1].entries.as_slice()),
            (&[true, false, false][..], &[false, true, false][..])
        );
        assert_eq!(columns[1].exits, [false, false, true]);
        assert!(columns[0].short_entries.is_empty() && columns[1].short_exits == [false; 3]);
        assert_eq!(columns[1].stops, stops);
        let e = data::signal_columns(2, &[0; 5], &[0; 6], None, None, stops).unwrap_err();
        assert_eq!(
            (e.code(), e.detail.as_str()),
            ("invalid_argument", "`entries` has 5 flags, not a whole number of 2 columns")
        );
        assert_eq!(data::signal_columns(0, &[], &[], None, None, stops).unwrap_err().code(), "invalid_argument");
        assert_eq!(data::signal_stops(Some(r#"{"sl_stop": "x"}"#)).unwrap_err().code(), "invalid_argument");
    }

    #[test]
    fn rules_become_a_config_with_the_engine_defaults() {
        let hour = 3_600_000;
        let symbols = ["A".to_string(), "IDX".to_string()];
        let json =
            config_from_rules(r#"{"benchmark_symbol":"IDX","slippage_bps":"1"}"#, &symbols, &[0, hour, 2 * hour])
                .unwrap();
        let config: ScenarioConfig = from_json("config", &json).unwrap();
        assert_eq!((config.slug.as_str(), config.universe.clone()), ("custom", vec!["A".to_string()]));
        assert_eq!(config.bar_resolution, crate::BarResolution::HOUR);
        assert_eq!(config.starting_cash, rust_decimal::Decimal::from(100_000));
        let e = config_from_rules(r#"{"cash":5}"#, &symbols, &[]).unwrap_err();
        assert!(e.detail.starts_with("rules.cash: unknown field `cash`, expected one of `slug`"), "{}", e.detail);
    }

    #[test]
    fn a_scenario_takes_other_rules_over_the_same_bars() {
        let original = crate::catalog::get("crash-and-rebound").unwrap();
        let costs = original.config().costs.clone();
        let free = with_rules(&original, r#"{"slippage_bps":"0","starting_cash":"5000"}"#).unwrap();
        let c = free.config();
        assert_eq!(c.costs.slippage, crate::costs::SlippageModel::FixedBps { bps: rust_decimal::Decimal::ZERO });
        assert_eq!(
            (c.costs.commission.clone(), c.costs.max_volume_participation),
            (costs.commission, costs.max_volume_participation)
        );
        assert_eq!(c.starting_cash, rust_decimal::Decimal::from(5000));
        // Everything else is the scenario's own: bars, timeline, universe, benchmark, hours, name.
        let (o, f) = (original.config(), free.config());
        assert_eq!(
            (&f.slug, &f.universe, &f.benchmark_symbol, &f.market_hours),
            (&o.slug, &o.universe, &o.benchmark_symbol, &o.market_hours)
        );
        assert_eq!((original.series(), original.timeline()), (free.series(), free.timeline()));
        assert_ne!(original.fingerprint(), free.fingerprint(), "other rules, another scenario");
        // The benchmark may become a traded symbol, a traded symbol the benchmark.
        let first = o.universe[0].clone();
        let swapped = with_rules(&original, &format!(r#"{{"benchmark_symbol":"{first}"}}"#)).unwrap();
        assert!(swapped.config().universe.contains(o.benchmark_symbol.as_ref().unwrap()));
        assert!(!swapped.config().universe.contains(&first));
        let e = with_rules(&original, r#"{"benchmark_symbol":"NOPE"}"#).unwrap_err();
        assert_eq!((e.code(), e.detail.as_str()), ("invalid_scenario", "'NOPE' is not a symbol of this scenario"));
        let e = with_rules(&original, r#"{"slipage_bps":"0"}"#).unwrap_err();
        assert!(e.detail.starts_with("rules.slipage_bps: unknown field"), "{}", e.detail);
        let e = with_rules(&original, r#"{"leverage_cap":"-1"}"#).unwrap_err();
        assert_eq!(e.code(), "invalid_scenario", "{}", e.detail);
    }

    #[test]
    fn order_ids_from_javascript_numbers_are_checked() {
        assert_eq!(data::order_id(7.0).unwrap(), 7);
        for bad in [0.0, -3.0, 1.5, f64::NAN] {
            assert_eq!(data::order_id(bad).unwrap_err().code(), "invalid_argument", "{bad}");
        }
    }

    #[test]
    fn families_have_wire_words() {
        let words: std::collections::BTreeSet<&str> = error_codes().iter().map(|(_, f)| *f).collect();
        assert_eq!(words.len(), 7);
        assert!(error_codes().contains(&("insufficient_buying_power", "order_rejected")));
    }
}

/// The read side and the remaining actions of a run, as the bindings expose them: JSON out,
/// plain numbers and strings in. Every binding's method is one call to one of these.
pub mod run {
    use super::{Result, Run, to_json};
    use crate::error::{Error, ErrorKind};
    use crate::num::to_f64;
    use crate::order::{OrderRequest, Side};
    use crate::{AgentId, Decimal};

    fn symbol(run: &Run, index: usize) -> Result<String> {
        Ok(super::data::series(run.scenario(), index)?.symbol.clone())
    }

    /// A decimal from its text (bindings pass money as strings); `what` names the argument.
    pub fn decimal(text: &str, what: &str) -> Result<Decimal> {
        crate::num::decimal_exact(text).ok_or_else(|| {
            // A number with too many digits is a bad quantity or price; anything else a bad argument.
            let t = text.trim();
            let numeric = !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b".eE+-".contains(&b));
            let shown: String = text.chars().take(60).collect();
            if numeric {
                let detail =
                    format!("`{what}` {shown:?} has more digits than a decimal holds exactly; it would be rounded");
                Error::new(super::decimal_kind(what), detail)
            } else {
                Error::new(ErrorKind::InvalidArgument, format!("`{what}` is not a decimal number: {shown:?}"))
            }
        })
    }

    /// The callback APIs' fast path: a market order, or a limit order at `limit`, in series
    /// `index`; returns the order id.
    pub fn submit_simple(
        run: &mut Run,
        agent: AgentId,
        index: usize,
        side: &str,
        quantity: Decimal,
        limit: Option<Decimal>,
    ) -> Result<u64> {
        let side: Side = side.parse()?;
        let symbol = symbol(run, index)?;
        let request = match limit {
            Some(price) => OrderRequest::limit(&symbol, side, quantity, price),
            None => OrderRequest::market(&symbol, side, quantity),
        };
        run.place(agent, request)
    }

    /// Steps to the end (or `max_bars`) without new orders; the report, JSON.
    pub fn hold_until_end(run: &mut Run, max_bars: Option<u32>, require_flat: Option<AgentId>) -> Result<String> {
        Ok(to_json(&run.hold_until_end(max_bars, require_flat)?))
    }

    /// Closes the agent's positions at the next open and steps to the end; the report, JSON.
    pub fn liquidate_and_finish(
        run: &mut Run,
        agent: AgentId,
        rationale: &str,
        max_bars: Option<u32>,
    ) -> Result<String> {
        Ok(to_json(&run.liquidate_and_finish(agent, rationale, max_bars)?))
    }

    /// Steps to the first bar of the next session; the report, JSON.
    pub fn advance_until_next_session(run: &mut Run, max_bars: Option<u32>) -> Result<String> {
        Ok(to_json(&run.advance_until_next_session(max_bars)?))
    }

    /// The agent's risk profile, JSON.
    pub fn risk_profile(run: &Run, agent: AgentId) -> Result<String> {
        Ok(to_json(run.engine().risk_profile(agent)?))
    }

    /// Cash, equity, buying power and positions, JSON.
    pub fn portfolio(run: &Run, agent: AgentId) -> Result<String> {
        Ok(to_json(&run.portfolio(agent)?))
    }

    /// Every order of the agent, JSON.
    pub fn orders(run: &Run, agent: AgentId) -> Result<String> {
        Ok(to_json(&run.engine().orders(agent)?))
    }

    /// One order, JSON.
    pub fn order(run: &Run, agent: AgentId, order_id: u64) -> Result<String> {
        Ok(to_json(run.engine().order(agent, order_id)?))
    }

    /// Working orders, JSON.
    pub fn open_orders(run: &Run, agent: AgentId) -> Result<String> {
        Ok(to_json(&run.engine().open_orders(agent)?))
    }

    /// Fills, JSON.
    pub fn fills(run: &Run, agent: AgentId) -> Result<String> {
        Ok(to_json(&run.engine().fills(agent)?))
    }

    /// The equity curve, JSON.
    pub fn equity_curve(run: &Run, agent: AgentId) -> Result<String> {
        Ok(to_json(&run.engine().equity_curve(agent)?))
    }

    /// Round trips, JSON.
    pub fn trades(run: &Run, agent: AgentId) -> Result<String> {
        Ok(to_json(&run.trades(agent)?))
    }

    /// Metrics so far, JSON.
    pub fn metrics(run: &Run, agent: AgentId) -> Result<String> {
        Ok(to_json(&run.metrics(agent)?))
    }

    /// The grade once the run is over, JSON.
    pub fn results(run: &Run, agent: AgentId) -> Result<String> {
        Ok(to_json(&run.results(agent)?))
    }

    /// The equity curve as float columns: times, equity, gross exposure, drawdown.
    pub fn equity_columns(run: &Run, agent: AgentId) -> Result<[Vec<f64>; 4]> {
        let curve = run.engine().equity_curve(agent)?;
        let equity: Vec<Decimal> = curve.iter().map(|p| p.equity).collect();
        Ok([
            curve.iter().map(|p| p.ts as f64).collect(),
            equity.iter().map(|&e| to_f64(e)).collect(),
            curve.iter().map(|p| to_f64(p.gross_exposure)).collect(),
            crate::metrics::drawdown_series(&equity),
        ])
    }

    /// The latest close of series `index` as a float, if it has a bar yet.
    pub fn close_f64(run: &Run, index: usize) -> Result<Option<f64>> {
        Ok(run.bars(&symbol(run, index)?, 1)?.last().map(|b| to_f64(b.close)))
    }

    /// The last `n` closes of series `index` (0 to `MAX_LOOKBACK`), oldest first, as floats.
    pub fn closes_f64(run: &Run, index: usize, n: usize) -> Result<Vec<f64>> {
        let symbol = symbol(run, index)?;
        if n == 0 {
            return Ok(Vec::new());
        }
        // More than `MAX_LOOKBACK` is refused (`invalid_lookback`), not cut down to it.
        Ok(run.bars(&symbol, n)?.iter().map(|b| to_f64(b.close)).collect())
    }

    /// Signed position of the agent in series `index`, exact.
    pub fn position(run: &Run, agent: AgentId, index: usize) -> Result<Decimal> {
        run.engine()
            .account(agent)?
            .positions
            .get(index)
            .map(|p| p.quantity)
            .ok_or_else(|| Error::new(ErrorKind::UnknownSymbol, format!("no symbol with index {index}")))
    }

    /// Cash, exact.
    pub fn cash(run: &Run, agent: AgentId) -> Result<Decimal> {
        Ok(run.engine().account(agent)?.cash)
    }

    /// Equity at the latest closes, exact.
    pub fn equity(run: &Run, agent: AgentId) -> Result<Decimal> {
        Ok(run.engine().equity_curve(agent)?.last().map(|p| p.equity).unwrap_or_default())
    }
}

/// Reading a scenario's data and planning callback loops, for the bindings.
pub mod data {
    use super::Result;
    use crate::error::{Error, ErrorKind};
    use crate::num::to_f64;
    use crate::reveal::{self, Revealed};
    use crate::{Bar, Scenario, Series};

    /// Series `index` of `scenario`.
    pub fn series(scenario: &Scenario, index: usize) -> Result<&Series> {
        scenario
            .series()
            .get(index)
            .ok_or_else(|| Error::new(ErrorKind::UnknownSymbol, format!("no symbol with index {index}")))
    }

    /// One field (`ts`, `open`, `high`, `low`, `close`, `volume`) of every bar of series `index`,
    /// future bars included, as floats — for precomputing causal indicators.
    pub fn column(scenario: &Scenario, index: usize, field: &str) -> Result<Vec<f64>> {
        let bars = &series(scenario, index)?.bars;
        let pick: fn(&Bar) -> f64 = match field {
            "ts" => |b| b.ts as f64,
            "open" => |b| to_f64(b.open),
            "high" => |b| to_f64(b.high),
            "low" => |b| to_f64(b.low),
            "close" => |b| to_f64(b.close),
            "volume" => |b| to_f64(b.volume),
            other => {
                return Err(Error::new(
                    ErrorKind::InvalidEnumValue,
                    format!("`field` must be one of ts, open, high, low, close, volume, got '{other}'"),
                ));
            }
        };
        Ok(bars.iter().map(pick).collect())
    }

    /// Bars of series `index` visible at each step of the timeline.
    pub fn visible_counts(scenario: &Scenario, index: usize) -> Result<Vec<u32>> {
        let ts: Vec<i64> = series(scenario, index)?.bars.iter().map(|b| b.ts).collect();
        reveal::visible_counts(&ts, scenario.timeline())
    }

    /// The wake plan of indicators (`values[i]` over every bar of series `series[i]`): per step,
    /// 1 where the strategy is called, and how many steps to advance from there (at most `limit`).
    pub fn wake_plan(
        scenario: &Scenario,
        series_of: &[u32],
        values: Vec<Vec<f64>>,
        limit: u32,
    ) -> Result<(Vec<u8>, Vec<u32>)> {
        if series_of.len() != values.len() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("{} series for {} indicators", series_of.len(), values.len()),
            ));
        }
        let mut revealed = Vec::with_capacity(values.len());
        for (&index, v) in series_of.iter().zip(values) {
            revealed.push(Revealed::of_series(v, scenario, index as usize)?);
        }
        let refs: Vec<&Revealed> = revealed.iter().collect();
        Ok(reveal::wake_plan(scenario.timeline().len(), &refs, limit))
    }

    /// A JavaScript number that must be an integer (times in milliseconds).
    pub fn integer(v: f64, what: &str) -> Result<i64> {
        if v.is_finite() && v.fract() == 0.0 && v.abs() <= 9_007_199_254_740_991.0 {
            Ok(v as i64)
        } else {
            Err(Error::new(ErrorKind::InvalidArgument, format!("{what} must be an integer, got {v}")))
        }
    }

    /// The error of a run found borrowed by another call while a callback loop needs it.
    #[must_use]
    pub fn busy() -> Error {
        Error::new(ErrorKind::InvalidArgument, "the run is in use by another call")
    }

    /// The callback loop of every SDK: at each step of the run with `calls[step] == 1`,
    /// `on_bar(step)`; then `jumps[step]` steps in the engine alone (see [`wake_plan`]);
    /// `progress(done, total)` every `every` steps; until the run is over. The run is reached
    /// through `run()`, a short borrow taken anew each time and never held while the host is
    /// called, so a strategy can place orders on the same run; `fail` turns an engine error into
    /// the host's.
    pub fn drive<E, G: std::ops::DerefMut<Target = crate::Run>>(
        mut run: impl FnMut() -> std::result::Result<G, E>,
        calls: &[u8],
        jumps: &[u32],
        every: u32,
        mut on_bar: impl FnMut(u32) -> std::result::Result<(), E>,
        mut progress: Option<impl FnMut(u32, u32) -> std::result::Result<(), E>>,
        fail: impl Fn(Error) -> E,
    ) -> std::result::Result<(), E> {
        let total = run()?.scenario().timeline().len().saturating_sub(1);
        let mut reported = 0;
        loop {
            let (done, step) = {
                let r = run()?;
                (r.is_done(), r.step_index())
            };
            if done {
                return Ok(());
            }
            if calls.get(step) == Some(&1) {
                on_bar(step as u32)?;
            }
            let count = jumps.get(step).copied().unwrap_or(1);
            let advanced = run()?.advance(count).map_err(&fail)?;
            let done_steps = step + advanced as usize;
            if let Some(report) = progress.as_mut()
                && every > 0
                && done_steps / every as usize > reported
                && done_steps < total
            {
                reported = done_steps / every as usize;
                report(done_steps as u32, total as u32)?;
            }
        }
    }

    /// An order id from a JavaScript number: a positive integer, or an error naming it.
    pub fn order_id(v: f64) -> Result<u64> {
        match integer(v, "orderId") {
            Ok(id) if id > 0 => Ok(id as u64),
            _ => Err(Error::new(ErrorKind::InvalidArgument, format!("`orderId` must be a positive integer, got {v}"))),
        }
    }

    /// Signal flags from bytes (non-zero = set).
    pub fn flags(bytes: &[u8]) -> Vec<bool> {
        bytes.iter().map(|&b| b != 0).collect()
    }

    /// The signal stops of a signal run from their JSON (`{"sl_stop": "0.02", "tp_stop": "0.03",
    /// "sl_trail": false}`), none when left out.
    pub fn signal_stops(json: Option<&str>) -> Result<crate::signals::SignalStops> {
        json.map_or_else(|| Ok(Default::default()), |j| super::from_json("signal stops", j))
    }

    /// The columns of a signal sweep from flag bytes stored column after column (`columns` of
    /// them, each as long as the others; short flags empty when not given), all with `stops`.
    pub fn signal_columns(
        columns: usize,
        entries: &[u8],
        exits: &[u8],
        short_entries: Option<&[u8]>,
        short_exits: Option<&[u8]>,
        stops: crate::signals::SignalStops,
    ) -> Result<Vec<crate::signals::Signals>> {
        if columns == 0 {
            return Err(Error::new(ErrorKind::InvalidArgument, "a sweep needs at least one column of flags"));
        }
        let split = |name: &str, bytes: Option<&[u8]>| -> Result<Vec<Vec<bool>>> {
            let Some(bytes) = bytes else { return Ok(vec![Vec::new(); columns]) };
            if bytes.len() % columns != 0 {
                let detail = format!("`{name}` has {} flags, not a whole number of {columns} columns", bytes.len());
                return Err(Error::new(ErrorKind::InvalidArgument, detail));
            }
            let per_column = bytes.len() / columns;
            if per_column == 0 {
                return Ok(vec![Vec::new(); columns]);
            }
            Ok(bytes.chunks(per_column).map(flags).collect())
        };
        let (e, x) = (split("entries", Some(entries))?, split("exits", Some(exits))?);
        let (se, sx) = (split("shortEntries", short_entries)?, split("shortExits", short_exits)?);
        Ok(e.into_iter()
            .zip(x)
            .zip(se.into_iter().zip(sx))
            .map(|((entries, exits), (short_entries, short_exits))| crate::signals::Signals {
                entries,
                exits,
                short_entries,
                short_exits,
                stops,
            })
            .collect())
    }

    /// A signal backtest or sweep as every binding receives it: flag bytes stored column after
    /// column (one column for a backtest) and the size, run options and stops as JSON.
    pub struct SignalRequest<'a> {
        /// The traded symbol.
        pub symbol: &'a str,
        /// [`crate::SignalSize`] as JSON.
        pub size_json: &'a str,
        /// How many columns the flag bytes hold.
        pub columns: usize,
        /// Entry flags.
        pub entries: &'a [u8],
        /// Exit flags.
        pub exits: &'a [u8],
        /// Short entry flags, if any.
        pub short_entries: Option<&'a [u8]>,
        /// Short exit flags, if any.
        pub short_exits: Option<&'a [u8]>,
        /// [`crate::RunOptions`] as JSON.
        pub options_json: Option<&'a str>,
        /// [`crate::signals::SignalStops`] as JSON.
        pub stops_json: Option<&'a str>,
    }

    /// Runs a one-column [`SignalRequest`] as a signal backtest, stopped by `interrupt` between
    /// bars: the finished run (its agent has id 0).
    pub fn signal_run(
        scenario: std::sync::Arc<crate::Scenario>,
        request: &SignalRequest<'_>,
        interrupt: Option<crate::Interrupt>,
    ) -> Result<crate::Run> {
        let (signals, size, run) = signal_inputs(request)?;
        let Some(signals) = signals.first() else {
            return Err(Error::new(ErrorKind::InvalidArgument, "a signal backtest takes one column of flags"));
        };
        Ok(crate::backtest_signals_interruptible(scenario, request.symbol, signals, size, run, interrupt)?.0)
    }

    fn signal_inputs(
        request: &SignalRequest<'_>,
    ) -> Result<(Vec<crate::Signals>, crate::SignalSize, crate::RunOptions)> {
        let stops = signal_stops(request.stops_json)?;
        let signals = signal_columns(
            request.columns,
            request.entries,
            request.exits,
            request.short_entries,
            request.short_exits,
            stops,
        )?;
        let size: crate::SignalSize = super::from_json("signal size", request.size_json)?;
        Ok((signals, size, super::run_options(request.options_json)?))
    }

    /// Runs a [`SignalRequest`] on `threads` threads (0: one per core; ignored without the
    /// `parallel` feature): the grades as a JSON array, in column order.
    pub fn sweep(
        scenario: std::sync::Arc<crate::Scenario>,
        request: &SignalRequest<'_>,
        threads: usize,
        interrupt: Option<crate::Interrupt>,
    ) -> Result<String> {
        let (signals, size, run) = signal_inputs(request)?;
        let options = crate::SweepOptions { run, threads, interrupt };
        Ok(super::to_json(&crate::sweep_signals(scenario, request.symbol, &signals, size, &options)?))
    }
}
