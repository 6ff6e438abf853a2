//! Orders: what an agent asks for (`OrderRequest`), its validation, and the working order the engine
//! keeps (`Order`) with its status, fills and the reason it ended.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result, err};

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident, $field:literal { $( $(#[$vdoc:meta])* $variant:ident = $wire:literal $(| $alias:literal)* ),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vdoc])* $variant, )*
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            /// Case-insensitive, like [`FromStr`].
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let text = std::borrow::Cow::<str>::deserialize(d)?;
                text.parse().map_err(|e: Error| serde::de::Error::custom(e.detail))
            }
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The wire spelling.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire,)* }
            }
        }

        impl FromStr for $name {
            type Err = Error;
            /// Case-insensitive; lists the allowed values on failure.
            fn from_str(s: &str) -> Result<Self> {
                let upper = s.trim().to_ascii_uppercase();
                $( if upper == $wire.to_ascii_uppercase() $(|| upper == $alias.to_ascii_uppercase())* {
                    return Ok($name::$variant);
                } )*
                Err(Error::invalid_enum($field, s, &[$($wire,)*]))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// What an order does to a position. `BUY`/`SELL` of the bot API parse as `buy`/`sell`.
    Side, "side" {
        /// Open or increase a long position.
        Buy = "buy",
        /// Close or reduce a long position; never more than is held.
        Sell = "sell",
        /// Open or increase a short position (where shorting is enabled).
        Short = "short",
        /// Close or reduce a short position; never more than is short.
        Cover = "cover",
    }
);

impl Side {
    /// +1 for sides that buy (buy, cover), −1 for sides that sell (sell, short).
    pub fn sign(self) -> Decimal {
        if self.is_buying() { Decimal::ONE } else { Decimal::NEGATIVE_ONE }
    }

    /// True for buy and cover.
    pub fn is_buying(self) -> bool {
        matches!(self, Side::Buy | Side::Cover)
    }

    /// True for buy and short: the sides that add exposure.
    pub fn opens(self) -> bool {
        matches!(self, Side::Buy | Side::Short)
    }

    /// The side that closes what this side opens (buy → sell, short → cover).
    pub fn closing(self) -> Side {
        match self {
            Side::Buy | Side::Sell => Side::Sell,
            Side::Short | Side::Cover => Side::Cover,
        }
    }
}

wire_enum!(
    /// How the order's price is decided.
    OrderType, "order_type" {
        /// At the next bar's open.
        Market = "MARKET",
        /// At `limit_price` or better.
        Limit = "LIMIT",
        /// A market order once the price touches `stop_price`.
        Stop = "STOP",
        /// A limit order at `limit_price` once the price touches `stop_price`.
        StopLimit = "STOP_LIMIT",
    }
);

wire_enum!(
    /// How long an order works.
    TimeInForce, "time_in_force" {
        /// Good till cancelled.
        Gtc = "GTC",
        /// Expires at the end of the session it was placed in.
        Day = "DAY",
        /// Immediate or cancel: what fills on the next bar fills, the rest is cancelled.
        Ioc = "IOC",
        /// Fill or kill: all of it on the next bar, or nothing.
        Fok = "FOK",
    }
);

wire_enum!(
    /// Asset class, informational (as in the bot API).
    AssetType, "asset_type" {
        /// Equity.
        Stock = "STOCK",
        /// Cryptocurrency pair.
        Crypto = "CRYPTO",
        /// Currency pair.
        Forex = "FOREX",
        /// Exchange-traded fund.
        Etf = "ETF",
        /// Option contract.
        Option = "OPTION",
        /// Commodity.
        Commodity = "COMMODITY",
    }
);

wire_enum!(
    /// Life-cycle state of an order.
    OrderStatus, "status" {
        /// Accepted and working, nothing filled yet.
        Open = "OPEN",
        /// Some filled, the rest still working.
        PartiallyFilled = "PARTIALLY_FILLED",
        /// Completely filled.
        Filled = "FILLED",
        /// Ended before filling completely; `end_reason` says why.
        Cancelled = "CANCELLED",
        /// Refused at submission; `end_reason` says why.
        Rejected = "REJECTED",
    }
);

impl OrderStatus {
    /// True while the order can still fill.
    pub fn is_working(self) -> bool {
        matches!(self, OrderStatus::Open | OrderStatus::PartiallyFilled)
    }
}

/// A partial exit at a price level (seed 002's `trim` exit with its `trimLevel`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trim {
    /// 1, 2, ... in the order the levels are meant to be reached.
    pub level: u32,
    /// Limit price of the trim.
    #[serde(deserialize_with = "crate::num::exact::decimal")]
    pub price: Decimal,
    /// Quantity taken off at this level.
    #[serde(deserialize_with = "crate::num::exact::decimal")]
    pub quantity: Decimal,
}

/// What an agent asks for. Field names follow the bot API's place-order schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRequest {
    /// Ticker; must be in the scenario's universe.
    pub symbol: String,
    /// buy / sell / short / cover.
    pub side: Side,
    /// Positive; fractional allowed (at most 8 decimal places).
    #[serde(deserialize_with = "crate::num::exact::decimal")]
    pub quantity: Decimal,
    /// MARKET unless said otherwise.
    #[serde(default = "default_order_type")]
    pub order_type: OrderType,
    /// Required for LIMIT and STOP_LIMIT.
    #[serde(default, deserialize_with = "crate::num::exact::option")]
    pub limit_price: Option<Decimal>,
    /// Required for STOP and STOP_LIMIT.
    #[serde(default, deserialize_with = "crate::num::exact::option")]
    pub stop_price: Option<Decimal>,
    /// GTC unless said otherwise.
    #[serde(default = "default_tif")]
    pub time_in_force: TimeInForce,
    /// Informational asset class.
    #[serde(default)]
    pub asset_type: Option<AssetType>,
    /// The agent's own id; doubles as an idempotency key for this order.
    #[serde(default)]
    pub client_order_id: Option<String>,
    /// Bracket exit: a stop order closing the filled quantity at this price.
    #[serde(default, deserialize_with = "crate::num::exact::option")]
    pub stop_loss: Option<Decimal>,
    /// Bracket exit: a limit order closing the filled quantity at this price.
    #[serde(default, deserialize_with = "crate::num::exact::option")]
    pub take_profit: Option<Decimal>,
    /// Bracket exit levelled from the fill: a stop-loss this fraction of the entry's first fill
    /// price away (below a long, above a short; `0.02` is 2 %), in (0, 1). Instead of `stop_loss`.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::num::exact::option")]
    pub stop_loss_fraction: Option<Decimal>,
    /// Bracket exit levelled from the fill: a take-profit this fraction of the entry's first fill
    /// price away (above a long, below a short), positive (below 1 for a short). Instead of
    /// `take_profit`.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::num::exact::option")]
    pub take_profit_fraction: Option<Decimal>,
    /// Bracket exits: partial limit exits by level.
    #[serde(default)]
    pub trims: Vec<Trim>,
    /// Free text, recorded with the order and its fills.
    #[serde(default)]
    pub reasoning: Option<String>,
}

fn default_order_type() -> OrderType {
    OrderType::Market
}

fn default_tif() -> TimeInForce {
    TimeInForce::Gtc
}

impl OrderRequest {
    /// A market order, good till cancelled.
    pub fn market(symbol: &str, side: Side, quantity: Decimal) -> Self {
        OrderRequest {
            symbol: symbol.to_string(),
            side,
            quantity,
            order_type: OrderType::Market,
            limit_price: None,
            stop_price: None,
            time_in_force: TimeInForce::Gtc,
            asset_type: None,
            client_order_id: None,
            stop_loss: None,
            take_profit: None,
            stop_loss_fraction: None,
            take_profit_fraction: None,
            trims: Vec::new(),
            reasoning: None,
        }
    }

    /// A limit order at `price`.
    pub fn limit(symbol: &str, side: Side, quantity: Decimal, price: Decimal) -> Self {
        OrderRequest { order_type: OrderType::Limit, limit_price: Some(price), ..Self::market(symbol, side, quantity) }
    }

    /// A stop order triggered at `stop`.
    pub fn stop(symbol: &str, side: Side, quantity: Decimal, stop: Decimal) -> Self {
        OrderRequest { order_type: OrderType::Stop, stop_price: Some(stop), ..Self::market(symbol, side, quantity) }
    }

    /// A stop-limit order: triggered at `stop`, then a limit at `limit`.
    pub fn stop_limit(symbol: &str, side: Side, quantity: Decimal, stop: Decimal, limit: Decimal) -> Self {
        OrderRequest {
            order_type: OrderType::StopLimit,
            stop_price: Some(stop),
            limit_price: Some(limit),
            ..Self::market(symbol, side, quantity)
        }
    }

    /// Sets the time in force.
    pub fn with_tif(mut self, tif: TimeInForce) -> Self {
        self.time_in_force = tif;
        self
    }

    /// Attaches a stop-loss exit.
    pub fn with_stop_loss(mut self, price: Decimal) -> Self {
        self.stop_loss = Some(price);
        self
    }

    /// Attaches a take-profit exit.
    pub fn with_take_profit(mut self, price: Decimal) -> Self {
        self.take_profit = Some(price);
        self
    }

    /// Adds a trim exit.
    pub fn with_trim(mut self, level: u32, price: Decimal, quantity: Decimal) -> Self {
        self.trims.push(Trim { level, price, quantity });
        self
    }

    /// Sets the client order id.
    pub fn with_client_order_id(mut self, id: &str) -> Self {
        self.client_order_id = Some(id.to_string());
        self
    }

    /// Sets the free-text reasoning.
    pub fn with_reasoning(mut self, text: &str) -> Self {
        self.reasoning = Some(text.to_string());
        self
    }

    /// True when the order carries bracket exits.
    pub fn has_exits(&self) -> bool {
        self.stop_loss.is_some()
            || self.take_profit.is_some()
            || self.stop_loss_fraction.is_some()
            || self.take_profit_fraction.is_some()
            || !self.trims.is_empty()
    }

    /// The stop-loss and take-profit of an entry that filled first at `price`: the absolute
    /// levels, or those its fractions give from `price` (rounded half-even to 8 decimals).
    pub fn exit_levels(&self, price: Decimal) -> (Option<Decimal>, Option<Decimal>) {
        let long = self.side == Side::Buy;
        let at = |fraction: Decimal, below: bool| {
            let factor = if below { Decimal::ONE - fraction } else { Decimal::ONE + fraction };
            // Fractions are below 1 (validated) and prices at most 10^10: no overflow.
            (price * factor).round_dp_with_strategy(MAX_DECIMALS, rust_decimal::RoundingStrategy::MidpointNearestEven)
        };
        (
            self.stop_loss.or(self.stop_loss_fraction.map(|f| at(f, long))),
            self.take_profit.or(self.take_profit_fraction.map(|f| at(f, !long))),
        )
    }

    /// Checks the request on its own, without account or market state.
    pub fn validate(&self) -> Result<()> {
        check_amount("quantity", self.quantity, ErrorKind::InvalidQuantity)?;
        let needs_limit = matches!(self.order_type, OrderType::Limit | OrderType::StopLimit);
        let needs_stop = matches!(self.order_type, OrderType::Stop | OrderType::StopLimit);
        match (needs_limit, self.limit_price) {
            (true, None) => {
                return err(ErrorKind::MissingLimitPrice, format!("{} orders need `limit_price`", self.order_type));
            }
            (false, Some(_)) => {
                return err(ErrorKind::PriceNotAllowed, format!("{} orders take no `limit_price`", self.order_type));
            }
            (_, Some(p)) => check_amount("limit_price", p, ErrorKind::InvalidPrice)?,
            _ => {}
        }
        match (needs_stop, self.stop_price) {
            (true, None) => {
                return err(ErrorKind::MissingStopPrice, format!("{} orders need `stop_price`", self.order_type));
            }
            (false, Some(_)) => {
                return err(ErrorKind::PriceNotAllowed, format!("{} orders take no `stop_price`", self.order_type));
            }
            (_, Some(p)) => check_amount("stop_price", p, ErrorKind::InvalidPrice)?,
            _ => {}
        }
        if let Some(id) = &self.client_order_id {
            check_text("client_order_id", id, MAX_CLIENT_ORDER_ID_CHARS)?;
        }
        if let Some(text) = &self.reasoning
            && text.chars().nth(MAX_REASONING_CHARS).is_some()
        {
            return err(
                ErrorKind::InvalidArgument,
                format!("`reasoning` must be at most {MAX_REASONING_CHARS} characters"),
            );
        }
        check_text("symbol", &self.symbol, MAX_NAME_CHARS)?;
        if self.trims.len() > MAX_TRIMS {
            return err(ErrorKind::InvalidBracket, format!("at most {MAX_TRIMS} trims, got {}", self.trims.len()));
        }
        self.validate_exits()
    }

    fn validate_exits(&self) -> Result<()> {
        if !self.has_exits() {
            return Ok(());
        }
        if !self.side.opens() {
            return err(
                ErrorKind::InvalidBracket,
                format!("exits attach to orders that open a position (buy or short), not to {}", self.side),
            );
        }
        let long = self.side == Side::Buy;
        for (name, fraction, absolute, below_one) in [
            ("stop_loss_fraction", self.stop_loss_fraction, self.stop_loss.is_some(), long),
            ("take_profit_fraction", self.take_profit_fraction, self.take_profit.is_some(), !long),
        ] {
            let Some(f) = fraction else { continue };
            if absolute {
                let level = name.trim_end_matches("_fraction");
                return err(ErrorKind::InvalidBracket, format!("give `{level}` or `{name}`, not both"));
            }
            if f <= Decimal::ZERO || (below_one && f >= Decimal::ONE) || f.scale() > MAX_DECIMALS {
                let range = if below_one { "between 0 and 1" } else { "positive" };
                return err(
                    ErrorKind::InvalidBracket,
                    format!("`{name}` must be a fraction {range} with at most {MAX_DECIMALS} decimals, got {f}"),
                );
            }
        }
        if let Some(p) = self.stop_loss {
            check_amount("stop_loss", p, ErrorKind::InvalidPrice)?;
        }
        if let Some(p) = self.take_profit {
            check_amount("take_profit", p, ErrorKind::InvalidPrice)?;
        }
        if let (Some(sl), Some(tp)) = (self.stop_loss, self.take_profit)
            && (if long { sl >= tp } else { sl <= tp })
        {
            let want = if long { "below" } else { "above" };
            return err(
                ErrorKind::InvalidBracket,
                format!("stop_loss {sl} must be {want} take_profit {tp} for a {} entry", self.side),
            );
        }
        // The entry price is only known for priced orders; a long's stop must sit below it.
        let entry = self.limit_price.or(self.stop_price);
        if let Some(entry) = entry {
            if let Some(sl) = self.stop_loss
                && (if long { sl >= entry } else { sl <= entry })
            {
                let want = if long { "below" } else { "above" };
                return err(
                    ErrorKind::InvalidBracket,
                    format!("stop_loss {sl} must be {want} the entry price {entry}"),
                );
            }
            if let Some(tp) = self.take_profit
                && (if long { tp <= entry } else { tp >= entry })
            {
                let want = if long { "above" } else { "below" };
                return err(
                    ErrorKind::InvalidBracket,
                    format!("take_profit {tp} must be {want} the entry price {entry}"),
                );
            }
            // A trim takes profit like a take-profit does: on the far side of the entry.
            if let Some(t) = self.trims.iter().find(|t| if long { t.price <= entry } else { t.price >= entry }) {
                let want = if long { "above" } else { "below" };
                return err(
                    ErrorKind::InvalidBracket,
                    format!("trim level {} at {} must be {want} the entry price {entry}", t.level, t.price),
                );
            }
        }
        let mut total = Decimal::ZERO;
        for (i, t) in self.trims.iter().enumerate() {
            check_amount("trims.price", t.price, ErrorKind::InvalidPrice)?;
            check_amount("trims.quantity", t.quantity, ErrorKind::InvalidQuantity)?;
            if t.level == 0 || self.trims[..i].iter().any(|o| o.level == t.level) {
                return err(
                    ErrorKind::InvalidBracket,
                    format!("trim levels must be distinct and >= 1, got {}", t.level),
                );
            }
            total += t.quantity;
        }
        if total > self.quantity {
            return err(
                ErrorKind::InvalidBracket,
                format!("trims take {total} in all, more than the order's quantity {}", self.quantity),
            );
        }
        Ok(())
    }
}

use crate::limits::{
    MAX_CLIENT_ORDER_ID_CHARS, MAX_DECIMALS, MAX_NAME_CHARS, MAX_REASONING_CHARS, MAX_TRIMS, check_text,
};
pub use crate::limits::{MAX_PRICE, MAX_QUANTITY};

/// Positive, at most [`MAX_QUANTITY`] or [`MAX_PRICE`], at most 8 decimal places.
fn check_amount(field: &str, value: Decimal, kind: ErrorKind) -> Result<()> {
    if value <= Decimal::ZERO {
        return err(kind, format!("`{field}` must be positive, got {value}"));
    }
    let max = if kind == ErrorKind::InvalidQuantity { MAX_QUANTITY } else { MAX_PRICE };
    if value > max {
        return err(kind, format!("`{field}` must be at most {max}, got {value}"));
    }
    if value.normalize().scale() > 8 {
        return err(kind, format!("`{field}` has more than 8 decimal places: {value}"));
    }
    Ok(())
}

/// Why an order exists: placed by the agent, or created by the engine for a bracket or a margin call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OrderRole {
    /// Placed by the agent.
    Manual,
    /// A bracket's stop-loss exit.
    StopLoss,
    /// A bracket's take-profit exit.
    TakeProfit,
    /// A bracket's trim exit at a level.
    Trim {
        /// The trim level.
        level: u32,
    },
    /// Closing order sent by a margin call.
    Liquidation,
    /// Closing order of an agent reset.
    Reset,
}

impl OrderRole {
    /// True for engine-created exits that only ever reduce a position.
    pub fn is_bracket_exit(self) -> bool {
        matches!(self, OrderRole::StopLoss | OrderRole::TakeProfit | OrderRole::Trim { .. })
    }
}

/// Why an order ended without filling completely (or was refused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndReason {
    /// Stable code: an [`ErrorKind`] code for rejections, or one of `cancelled_by_agent`,
    /// `day_order_expired`, `ioc_remainder_cancelled`, `fok_not_filled`, `oco_sibling_filled`,
    /// `position_closed`, `bracket_closed`, `liquidation`, `run_finished`, `insufficient_buying_power`,
    /// `insufficient_position`, `agent_reset`.
    pub code: String,
    /// Human explanation.
    pub detail: String,
}

impl From<&Error> for EndReason {
    fn from(e: &Error) -> Self {
        EndReason { code: e.code().to_string(), detail: e.detail.clone() }
    }
}

impl EndReason {
    pub(crate) fn new(code: &str, detail: impl Into<String>) -> Self {
        EndReason { code: code.to_string(), detail: detail.into() }
    }
}

/// An order as the engine keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Engine-assigned id, unique within a run or engine, increasing.
    pub id: u64,
    /// What was asked.
    #[serde(flatten)]
    pub request: OrderRequest,
    /// Who created it.
    pub role: OrderRole,
    /// For bracket exits: the entry order they protect.
    pub parent_id: Option<u64>,
    /// Current state.
    pub status: OrderStatus,
    /// Quantity filled so far.
    #[serde(deserialize_with = "crate::num::exact::decimal")]
    pub filled_quantity: Decimal,
    /// Volume-weighted average fill price, once anything filled.
    #[serde(default, deserialize_with = "crate::num::exact::option")]
    pub avg_fill_price: Option<Decimal>,
    /// Clock when placed (UTC ms); it first matches on a bar strictly after this.
    pub created_at: i64,
    /// Clock of the last change.
    pub updated_at: i64,
    /// Why it was rejected or cancelled.
    pub end_reason: Option<EndReason>,
    /// For STOP_LIMIT: the stop was touched and the order now rests as a limit.
    #[serde(default)]
    pub triggered: bool,
}

impl Order {
    /// Quantity still to fill.
    pub fn remaining(&self) -> Decimal {
        self.request.quantity - self.filled_quantity
    }

    /// The order's symbol.
    pub fn symbol(&self) -> &str {
        &self.request.symbol
    }

    pub(crate) fn end(&mut self, status: OrderStatus, reason: EndReason, ts: i64) {
        self.status = status;
        self.end_reason = Some(reason);
        self.updated_at = ts;
    }

    pub(crate) fn record_fill(&mut self, quantity: Decimal, price: Decimal, ts: i64) {
        let before = self.filled_quantity;
        let total = before + quantity;
        self.avg_fill_price = Some(match self.avg_fill_price {
            Some(avg) => (avg * before + price * quantity) / total,
            None => price,
        });
        self.filled_quantity = total;
        self.status = if total >= self.request.quantity { OrderStatus::Filled } else { OrderStatus::PartiallyFilled };
        self.updated_at = ts;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn sides_parse_case_insensitively_and_list_allowed_values() {
        assert_eq!("BUY".parse::<Side>().unwrap(), Side::Buy);
        assert_eq!("cover".parse::<Side>().unwrap(), Side::Cover);
        let e = "hold".parse::<Side>().unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidEnumValue);
        assert_eq!(e.detail, "`side` must be one of {'buy', 'sell', 'short', 'cover'}, got 'hold'");
        assert_eq!("stop_limit".parse::<OrderType>().unwrap(), OrderType::StopLimit);
    }

    #[test]
    fn validation_codes() {
        let m = OrderRequest::market("AAPL", Side::Buy, dec!(0));
        assert_eq!(m.validate().unwrap_err().kind, ErrorKind::InvalidQuantity);
        let mut l = OrderRequest::limit("AAPL", Side::Buy, dec!(1), dec!(10));
        l.limit_price = None;
        assert_eq!(l.validate().unwrap_err().kind, ErrorKind::MissingLimitPrice);
        let s = OrderRequest { stop_price: None, ..OrderRequest::stop("AAPL", Side::Sell, dec!(1), dec!(9)) };
        assert_eq!(s.validate().unwrap_err().kind, ErrorKind::MissingStopPrice);
        let mut p = OrderRequest::market("AAPL", Side::Buy, dec!(1));
        p.limit_price = Some(dec!(1));
        assert_eq!(p.validate().unwrap_err().kind, ErrorKind::PriceNotAllowed);
        let neg = OrderRequest::limit("AAPL", Side::Buy, dec!(1), dec!(-1));
        assert_eq!(neg.validate().unwrap_err().kind, ErrorKind::InvalidPrice);
        let fine = OrderRequest::market("AAPL", Side::Buy, dec!(0.000000001));
        assert_eq!(fine.validate().unwrap_err().kind, ErrorKind::InvalidQuantity);
        assert_eq!(MAX_QUANTITY, dec!(1_000_000_000_000_000));
        assert_eq!(MAX_PRICE, dec!(10_000_000_000));
        let huge = OrderRequest::market("AAPL", Side::Buy, dec!(1_000_000_000_000_001));
        assert_eq!(
            huge.validate().unwrap_err().detail,
            "`quantity` must be at most 1000000000000000, got 1000000000000001"
        );
    }

    #[test]
    fn brackets_as_fractions_of_the_fill_are_levelled_from_it_and_checked() {
        let mut long = OrderRequest::market("AAPL", Side::Buy, dec!(10));
        long.stop_loss_fraction = Some(dec!(0.02));
        long.take_profit_fraction = Some(dec!(0.035));
        assert!(long.validate().is_ok() && long.has_exits());
        assert_eq!(long.exit_levels(dec!(183.17)), (Some(dec!(179.5066)), Some(dec!(189.580950))));
        // Half-even to 8 decimals.
        assert_eq!(long.exit_levels(dec!(0.000000125)).0, Some(dec!(0.00000012)));
        let mut short = OrderRequest::market("AAPL", Side::Short, dec!(1));
        short.stop_loss_fraction = Some(dec!(1.5)); // above a short: any positive distance
        short.take_profit_fraction = Some(dec!(0.5));
        assert_eq!(short.exit_levels(dec!(100)), (Some(dec!(250)), Some(dec!(50))));
        let bad = |f: fn(&mut OrderRequest)| {
            let mut r = OrderRequest::market("AAPL", Side::Buy, dec!(1));
            f(&mut r);
            r.validate().unwrap_err().detail
        };
        assert!(bad(|r| r.stop_loss_fraction = Some(dec!(1))).contains("between 0 and 1"));
        assert!(bad(|r| r.take_profit_fraction = Some(dec!(0))).contains("positive"));
        assert!(bad(|r| r.stop_loss_fraction = Some(dec!(0.000000001))).contains("8 decimals"));
        assert!(
            bad(|r| {
                r.stop_loss = Some(dec!(90));
                r.stop_loss_fraction = Some(dec!(0.1));
            })
            .contains("not both")
        );
        short.take_profit_fraction = Some(dec!(1));
        assert!(short.validate().unwrap_err().detail.contains("between 0 and 1"));
    }

    #[test]
    fn bracket_validation() {
        let ok = OrderRequest::limit("AAPL", Side::Buy, dec!(10), dec!(100))
            .with_stop_loss(dec!(95))
            .with_take_profit(dec!(110))
            .with_trim(1, dec!(105), dec!(5));
        ok.validate().unwrap();
        let inverted =
            OrderRequest::market("AAPL", Side::Buy, dec!(10)).with_stop_loss(dec!(110)).with_take_profit(dec!(95));
        assert_eq!(inverted.validate().unwrap_err().kind, ErrorKind::InvalidBracket);
        let on_sell = OrderRequest::market("AAPL", Side::Sell, dec!(10)).with_stop_loss(dec!(90));
        assert_eq!(on_sell.validate().unwrap_err().kind, ErrorKind::InvalidBracket);
        let short_ok = OrderRequest::limit("AAPL", Side::Short, dec!(10), dec!(100)).with_stop_loss(dec!(105));
        short_ok.validate().unwrap();
        let too_much = OrderRequest::market("AAPL", Side::Buy, dec!(10)).with_trim(1, dec!(105), dec!(11));
        assert_eq!(too_much.validate().unwrap_err().kind, ErrorKind::InvalidBracket);
    }
}
