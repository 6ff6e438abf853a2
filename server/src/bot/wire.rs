//! The bot API's request and response bodies (seed 000). Decimals go out as strings at the seed's
//! scale (`"10.00000000"` for quantities and prices, `"50000.00"` for money).

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use utoipa::{IntoParams, ToSchema};
use vectrade_core::Order;
use vectrade_core::time::format_rfc3339;

use crate::bench::wire::Num;

/// `d` rounded half away from zero to `dp` places and written with exactly `dp` decimals.
pub fn fixed(d: Decimal, dp: u32) -> String {
    let r = d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    format!("{r:.prec$}", prec = dp as usize)
}

/// `POST /bot/keys`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyIn {
    /// A name for the key (1–100 characters).
    #[serde(default)]
    pub label: Option<String>,
}

/// A new bot key, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyCreated {
    /// Key id (for revoking).
    pub id: String,
    /// Its label.
    pub label: Option<String>,
    /// The key: send as `X-Bot-Key`. Not shown again.
    pub key: String,
    /// Creation time (RFC 3339 UTC).
    pub created_at: String,
}

/// A bot key as listed (never the key itself).
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyOut {
    /// Key id.
    pub id: String,
    /// Its label.
    pub label: Option<String>,
    /// The first 12 characters of the key.
    pub key_preview: String,
    /// Creation time (RFC 3339 UTC).
    pub created_at: String,
    /// Last authenticated use (RFC 3339 UTC).
    pub last_used_at: Option<String>,
    /// True once revoked.
    pub revoked: bool,
}

/// `GET /bot/account`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountOut {
    /// The account the bot trades for.
    pub bot_user_id: String,
    /// The account's name.
    pub display_name: String,
    /// Cash of the bot portfolio.
    pub balance: String,
    /// `HUMAN`: bot trades are attributed to the key's owner.
    pub user_type: String,
    /// `ACTIVE`.
    pub status: String,
    /// Account creation (RFC 3339 UTC).
    pub created_at: String,
    /// Requests in the trailing minute.
    pub api_calls_used: usize,
    /// Requests allowed per minute.
    pub api_calls_limit: usize,
    /// `Free`, `Standard` or `Professional`.
    pub plan: String,
    /// Live bot keys.
    pub bot_keys_used: usize,
    /// Bot keys the plan allows.
    pub bot_keys_limit: usize,
}

/// `POST /bot/orders`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrder {
    /// Ticker of the market's universe.
    pub symbol: String,
    /// `BUY` or `SELL` (also `SHORT`, `COVER` where the market allows shorting).
    pub side: String,
    /// Positive, at most 8 decimal places; a number or a decimal string.
    #[schema(value_type = f64)]
    pub quantity: Num,
    /// STOCK, CRYPTO, FOREX, ETF, OPTION or COMMODITY (informational).
    #[serde(default)]
    pub asset_type: Option<String>,
    /// MARKET (default), LIMIT, STOP or STOP_LIMIT.
    #[serde(default)]
    pub order_type: Option<String>,
    /// Required for LIMIT / STOP_LIMIT.
    #[serde(default)]
    #[schema(value_type = Option<f64>)]
    pub limit_price: Option<Num>,
    /// Required for STOP / STOP_LIMIT.
    #[serde(default)]
    #[schema(value_type = Option<f64>)]
    pub stop_price: Option<Num>,
    /// GTC (default), DAY, IOC or FOK.
    #[serde(default)]
    pub time_in_force: Option<String>,
    /// Idempotency key: the same id with the same order returns the first order again.
    #[serde(default)]
    pub client_order_id: Option<String>,
    /// Bracket exit: a stop closing what fills.
    #[serde(default)]
    #[schema(value_type = Option<f64>)]
    pub stop_loss: Option<Num>,
    /// Bracket exit: a limit closing what fills.
    #[serde(default)]
    #[schema(value_type = Option<f64>)]
    pub take_profit: Option<Num>,
    /// Free text, recorded with the order and its fills.
    #[serde(default)]
    pub reasoning: Option<String>,
}

/// An order of the bot API.
#[derive(Debug, Serialize, ToSchema)]
pub struct BotOrder {
    /// Order id (a UUID).
    #[schema(format = "uuid")]
    pub id: String,
    /// Ticker.
    pub symbol: String,
    /// `BUY`, `SELL`, `SHORT` or `COVER`.
    pub side: String,
    /// `MARKET`, `LIMIT`, `STOP` or `STOP_LIMIT`.
    pub order_type: String,
    /// `GTC`, `DAY`, `IOC` or `FOK`.
    pub time_in_force: String,
    /// Units asked, 8 decimals.
    pub quantity: String,
    /// Limit price, 8 decimals.
    pub limit_price: Option<String>,
    /// Stop price, 8 decimals.
    pub stop_price: Option<String>,
    /// `OPEN`, `PARTIALLY_FILLED`, `FILLED`, `CANCELLED` or `REJECTED`.
    pub status: String,
    /// Units filled, 8 decimals.
    pub filled_quantity: String,
    /// Average fill price, 8 decimals.
    pub filled_price: Option<String>,
    /// Placement time on the market's clock (RFC 3339 UTC).
    pub created_at: String,
    /// Why it was rejected or cancelled.
    pub rejection_reason: Option<String>,
    /// Stable code of that reason (`insufficient_buying_power`, ...).
    pub rejection_code: Option<String>,
    /// The client's id, if given.
    pub client_order_id: Option<String>,
}

/// The ids of a portfolio's orders on the wire: UUIDs (version 8, as the seed's orders have UUID
/// ids) made of a hash of the portfolio's id and the engine's order number. A replay gives the
/// same ids, nothing more is stored, and another portfolio's order id never names an order here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderIds {
    high: u64,
}

impl OrderIds {
    /// The ids of portfolio `portfolio_id`.
    pub fn of(portfolio_id: &str) -> OrderIds {
        let digest = sha2::Sha256::digest(portfolio_id.as_bytes());
        let mut high = [0u8; 8];
        high.copy_from_slice(&digest[..8]);
        // Version 8 in the third group's first digit.
        OrderIds { high: (u64::from_be_bytes(high) & !0xF000) | 0x8000 }
    }

    /// The id of the engine's order `n` (at most 2^53 − 1).
    pub fn format(self, n: u64) -> String {
        // RFC 9562's variant (binary 10) in the two top bits of the low half.
        let low = (n & ((1 << 62) - 1)) | (0b10 << 62);
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            self.high >> 32,
            (self.high >> 16) & 0xFFFF,
            self.high & 0xFFFF,
            low >> 48,
            low & 0xFFFF_FFFF_FFFF
        )
    }

    /// The engine's order number behind `text`, if it is one of this portfolio's ids.
    pub fn parse(self, text: &str) -> Option<u64> {
        let b = text.as_bytes();
        let shaped = b.len() == 36
            && b.iter()
                .enumerate()
                .all(|(i, c)| if [8, 13, 18, 23].contains(&i) { *c == b'-' } else { c.is_ascii_hexdigit() });
        if !shaped {
            return None;
        }
        let hex: String = text.chars().filter(|c| *c != '-').collect();
        let high = u64::from_str_radix(&hex[..16], 16).ok()?;
        let low = u64::from_str_radix(&hex[16..], 16).ok()?;
        (high == self.high && low >> 62 == 0b10).then_some(low & ((1 << 62) - 1))
    }
}

impl BotOrder {
    /// The wire shape of `o`, one of the orders whose ids `ids` makes.
    pub fn new(o: &Order, ids: OrderIds) -> Self {
        let r = &o.request;
        BotOrder {
            id: ids.format(o.id),
            symbol: r.symbol.clone(),
            side: r.side.as_str().to_ascii_uppercase(),
            order_type: r.order_type.to_string(),
            time_in_force: r.time_in_force.to_string(),
            quantity: fixed(r.quantity, 8),
            limit_price: r.limit_price.map(|p| fixed(p, 8)),
            stop_price: r.stop_price.map(|p| fixed(p, 8)),
            status: o.status.to_string(),
            filled_quantity: fixed(o.filled_quantity, 8),
            filled_price: o.avg_fill_price.map(|p| fixed(p, 8)),
            created_at: format_rfc3339(o.created_at),
            rejection_reason: o.end_reason.as_ref().map(|e| e.detail.clone()),
            rejection_code: o.end_reason.as_ref().map(|e| e.code.clone()),
            client_order_id: r.client_order_id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::OrderIds;

    #[test]
    fn order_ids_are_uuids_that_name_one_portfolio_s_orders() {
        let mine = OrderIds::of("portfolio-a");
        let id = mine.format(1);
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "8", "version 8: {id}");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "RFC 9562 variant: {id}");
        assert_eq!(mine.parse(&id), Some(1));
        assert_eq!(mine.parse(&id.to_uppercase()), Some(1));
        assert_eq!(mine.parse(&mine.format((1 << 53) - 1)), Some((1 << 53) - 1));
        assert_eq!(OrderIds::of("portfolio-b").parse(&id), None, "another portfolio's order");
        for bad in ["1", "", "not-a-uuid", &id[..35], &format!("{id}0"), &id.replace('-', "_")] {
            assert_eq!(mine.parse(bad), None, "{bad}");
        }
        assert_ne!(mine.format(1), mine.format(2));
    }
}

/// `GET /bot/orders` filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderFilter {
    /// Only orders of this status (`OPEN`, `FILLED`, ...; case-insensitive).
    pub status: Option<String>,
    /// At most this many, newest first (1–500, default 100).
    pub limit: Option<usize>,
}

/// A position of the bot portfolio.
#[derive(Debug, Serialize, ToSchema)]
pub struct BotPosition {
    /// Ticker.
    pub symbol: String,
    /// STOCK or CRYPTO, by the market.
    pub asset_type: String,
    /// Signed units (negative = short), 8 decimals.
    pub quantity: String,
    /// Average entry price, 8 decimals.
    pub avg_cost: String,
    /// Latest close, 8 decimals.
    pub current_price: Option<String>,
    /// `quantity × current_price`, 8 decimals.
    pub market_value: String,
    /// Unrealised PnL, 2 decimals.
    pub unrealized_pnl: String,
    /// Unrealised PnL as % of the cost, 2 decimals.
    pub unrealized_pnl_pct: String,
}

/// `GET /bot/portfolio`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PortfolioOut {
    /// Cash, 2 decimals.
    pub balance: String,
    /// Cash plus positions at the latest closes, 2 decimals.
    pub total_equity: String,
    /// Open positions.
    pub positions: Vec<BotPosition>,
    /// Sum of unrealised PnL, 2 decimals.
    pub total_unrealized_pnl: String,
}

/// `GET /bot/kpi`: percents where the seed shows percents.
#[derive(Debug, Serialize, ToSchema)]
pub struct KpiOut {
    /// Total return, percent.
    pub total_return_pct: f64,
    /// Annualised Sharpe ratio; absent for a flat curve.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sharpe_ratio: Option<f64>,
    /// Winning round trips, percent of closed ones.
    pub win_rate: f64,
    /// Gross profit / gross loss; absent without a loss.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profit_factor: Option<f64>,
    /// Maximum drawdown, percent of the peak.
    pub max_drawdown: f64,
    /// Closed round trips.
    pub total_trades: u64,
    /// Annualised Sortino ratio; absent when undefined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sortino_ratio: Option<f64>,
    /// Mean net PnL per closed round trip.
    pub expectancy: f64,
    /// Longest run of winning round trips.
    pub consecutive_wins: u64,
    /// Longest run of losing round trips.
    pub consecutive_losses: u64,
    /// Place by total return among the market's portfolios (1 = best).
    pub rank: usize,
    /// Portfolios ranked.
    pub rank_total: usize,
}

/// `POST /api/v1/operator/market/advance`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvanceIn {
    /// Timestamps to reveal (default 1).
    #[serde(default)]
    pub bars: Option<usize>,
}

/// The market after an advance.
#[derive(Debug, Serialize, ToSchema)]
pub struct MarketClock {
    /// Scenario replayed.
    pub market: String,
    /// Timestamps revealed by this call.
    pub advanced: usize,
    /// Timestamps revealed so far.
    pub step: usize,
    /// Timestamps in the scenario.
    pub steps: usize,
    /// Time of the latest revealed bar (RFC 3339 UTC).
    pub sim_time: String,
    /// True once every bar is out.
    pub closed: bool,
}
