//! The trade journal's request and response bodies (seed 002): requests checked field by field
//! with the seed's messages (the first problem found is the one reported), responses in camelCase
//! as the seed shows them, and the OpenAPI schemas of both.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};
use utoipa::ToSchema;
use vectrade_core::journal::{JournalLeg, JournalStatus, LegState, TradeType, status_from_legs};
use vectrade_core::limits::{MAX_DESCRIPTION_CHARS, MAX_QUANTITY};
use vectrade_core::num::decimal_exact;
use vectrade_core::time::{format_rfc3339, parse_timestamp};

/// Most transactions one trade holds.
pub const MAX_TRANSACTIONS_PER_TRADE: usize = 1000;

/// A timestamp as the journal writes it: UTC with milliseconds, as JavaScript's `toISOString`
/// (`2024-01-15T10:30:00.000Z`).
pub fn iso(ts: i64) -> String {
    let text = format_rfc3339(ts);
    match text.strip_suffix('Z') {
        Some(head) if !head.contains('.') => format!("{head}.000Z"),
        _ => text,
    }
}

/// A transaction as stored and answered.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransactionOut {
    /// UUID of the transaction.
    pub id: String,
    /// `entry` or `exit`.
    pub transaction_group: String,
    /// How the exit is meant (`stop`, `take_profit`, `trim`, ...); required for exits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_type: Option<String>,
    /// Trim level; required when `exitType` is `trim`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    pub trim_level: Option<Number>,
    /// Symbol of the instrument.
    pub symbol: String,
    /// Asset type (`stock`, `option`, ...).
    pub asset_type: String,
    /// Side (`buy`, `sell`, ...).
    pub side: String,
    /// Order type (`market`, `limit`, `stop`, ...).
    #[serde(rename = "type")]
    pub order_type: String,
    /// Quantity, as sent.
    #[schema(value_type = f64)]
    pub quantity: Number,
    /// When the transaction happened (UTC, milliseconds).
    pub transaction_date: String,
    /// Stop price of a stop order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_price: Option<String>,
    /// Limit price of a limit order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    /// `call` or `put`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub option_type: Option<String>,
    /// Strike price of an option.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strike_price: Option<String>,
    /// Expiration date of an option.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<String>,
    /// Order status at the broker (`open`, `filled`, `partially_filled`, `cancelled`, ...): only
    /// executed exits change the trade's status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// When it filled (UTC, milliseconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filled_at: Option<String>,
    /// Fill price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filled_price: Option<String>,
    /// Units filled so far (a partial fill counts these).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filled_quantity: Option<String>,
    /// Average fill price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avg_fill_price: Option<String>,
    /// Broker code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker: Option<String>,
    /// Broker account number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker_account_number: Option<String>,
    /// Broker order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker_order_id: Option<String>,
    /// Broker parent order id (bracket orders).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker_parent_order_id: Option<String>,
    /// Notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Free-form metadata (`{}` when none was sent).
    #[schema(value_type = Object)]
    pub metadata: Map<String, Value>,
    /// When the journal recorded it (UTC, milliseconds).
    pub created_at: String,
}

impl TransactionOut {
    /// What the core needs to know of it for the trade's status.
    pub fn leg(&self) -> JournalLeg {
        JournalLeg {
            quantity: decimal_exact(&self.quantity.to_string()).unwrap_or_default(),
            state: LegState::from_status(self.status.as_deref()),
            filled_quantity: self.filled_quantity.as_deref().and_then(decimal_exact),
        }
    }

    fn is_entry(&self) -> bool {
        self.transaction_group == "entry"
    }
}

/// What a trade's transactions say about it: its status (the core's) and when it opened (its
/// earliest entry).
pub fn summary(transactions: &[TransactionOut]) -> (JournalStatus, Option<i64>) {
    let entries: Vec<JournalLeg> = transactions.iter().filter(|t| t.is_entry()).map(TransactionOut::leg).collect();
    let exits: Vec<JournalLeg> = transactions.iter().filter(|t| !t.is_entry()).map(TransactionOut::leg).collect();
    let opened_at =
        transactions.iter().filter(|t| t.is_entry()).filter_map(|t| parse_timestamp(&t.transaction_date).ok()).min();
    (status_from_legs(&entries, &exits), opened_at)
}

/// A trade as answered.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TradeOut {
    /// UUID of the trade.
    pub id: String,
    /// UUID of the bot.
    pub bot_id: String,
    /// Symbol traded.
    pub symbol: String,
    /// `long` or `short`.
    pub trade_type: String,
    /// `open`, `partially_closed` or `closed`, recalculated from the transactions.
    pub status: String,
    /// When the signal came (UTC, milliseconds).
    pub signal_at: String,
    /// Earliest entry (UTC, milliseconds).
    pub opened_at: String,
    /// Last change (UTC, milliseconds).
    pub last_update_at: String,
    /// When the trade was journaled (UTC, milliseconds).
    pub created_at: String,
    /// Notes, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Free-form metadata (`{}` when none).
    #[schema(value_type = Object)]
    pub metadata: Map<String, Value>,
    /// Its transactions, in the order they were added.
    pub transactions: Vec<TransactionOut>,
}

/// `POST /trades` and `POST /trades/{tradeId}/transactions`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TradeReply {
    /// Always true.
    pub success: bool,
    /// The trade after the change.
    pub trade: TradeOut,
    /// Transactions added by the request.
    pub transactions_added: usize,
}

/// `GET` and `PATCH /trades/{tradeId}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TradeOne {
    /// Always true.
    pub success: bool,
    /// The trade.
    pub trade: TradeOut,
}

/// `GET /trades`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TradeList {
    /// Always true.
    pub success: bool,
    /// The page of trades, newest first.
    pub trades: Vec<TradeOut>,
    /// Trades matching the filters, over all pages.
    pub total: usize,
}

/// One transaction of a request (for the OpenAPI document; requests are checked field by field).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransactionIn {
    /// `entry` or `exit`.
    pub transaction_group: String,
    /// Required for exits (`stop`, `take_profit`, `trim`, ...).
    pub exit_type: Option<String>,
    /// Required when `exitType` is `trim`.
    pub trim_level: Option<f64>,
    /// Symbol.
    pub symbol: String,
    /// Asset type (`stock`, `option`).
    pub asset_type: String,
    /// Side (`buy`, `sell`).
    pub side: String,
    /// Order type (`market`, `limit`, `stop`).
    #[serde(rename = "type")]
    pub order_type: String,
    /// Quantity (greater than 0).
    pub quantity: f64,
    /// ISO 8601 timestamp (without an offset: UTC).
    pub transaction_date: String,
    /// Stop price.
    pub stop_price: Option<String>,
    /// Limit price.
    pub price: Option<String>,
    /// `call` or `put`.
    pub option_type: Option<String>,
    /// Strike price.
    pub strike_price: Option<String>,
    /// Expiration date.
    pub expiration_date: Option<String>,
    /// Broker status (`open`, `filled`, `partially_filled`, `cancelled`, ...).
    pub status: Option<String>,
    /// ISO 8601 fill time.
    pub filled_at: Option<String>,
    /// Fill price.
    pub filled_price: Option<String>,
    /// Units filled (a decimal string).
    pub filled_quantity: Option<String>,
    /// Average fill price.
    pub avg_fill_price: Option<String>,
    /// Broker code.
    pub broker: Option<String>,
    /// Broker account number.
    pub broker_account_number: Option<String>,
    /// Broker order id.
    pub broker_order_id: Option<String>,
    /// Broker parent order id.
    pub broker_parent_order_id: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Metadata (default `{}`).
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
}

/// `POST /api/bots/{slug}/trades` (for the OpenAPI document).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateTradeIn {
    /// The trade's transactions: at least one entry.
    pub transactions: Vec<TransactionIn>,
    /// Symbol of the trade (default: the first entry's).
    pub symbol: Option<String>,
    /// `long` or `short` (default: from the first entry's side, `buy` long, `sell` short).
    pub trade_type: Option<String>,
    /// ISO 8601 time of the signal (default: the earliest entry's date).
    pub signal_at: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Metadata (default `{}`).
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
}

/// `POST /api/bots/{slug}/trades/{tradeId}/transactions` (for the OpenAPI document).
#[derive(Debug, Deserialize, ToSchema)]
pub struct AddTransactionsIn {
    /// Transactions to add (not empty).
    pub transactions: Vec<TransactionIn>,
}

/// `PATCH /api/bots/{slug}/trades/{tradeId}` (for the OpenAPI document): at least one field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateTradeIn {
    /// New notes (`null` clears them).
    pub notes: Option<String>,
    /// New metadata, replacing the old.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    /// New ISO 8601 signal time.
    pub signal_at: Option<String>,
}

/// A new trade, checked.
#[derive(Debug, Clone)]
pub struct NewTrade {
    /// Symbol.
    pub symbol: String,
    /// Long or short.
    pub trade_type: TradeType,
    /// Signal time, if given.
    pub signal_at: Option<i64>,
    /// Notes.
    pub notes: Option<String>,
    /// Metadata.
    pub metadata: Map<String, Value>,
    /// Its transactions.
    pub transactions: Vec<TransactionOut>,
}

/// A trade's changes, checked; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct TradeUpdate {
    /// New notes (`Some(None)` clears them).
    pub notes: Option<Option<String>>,
    /// New metadata.
    pub metadata: Option<Map<String, Value>>,
    /// New signal time.
    pub signal_at: Option<i64>,
}

/// Checks `{"transactions": [...]}`; `now` stamps each as recorded.
pub fn transactions(body: &Value, now: i64) -> Result<Vec<TransactionOut>, String> {
    let list = body
        .get("transactions")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .ok_or("transactions array required and cannot be empty")?;
    if list.len() > MAX_TRANSACTIONS_PER_TRADE {
        return Err(format!(
            "transactions holds {} transactions; a trade holds at most {MAX_TRANSACTIONS_PER_TRADE}",
            list.len()
        ));
    }
    list.iter().enumerate().map(|(i, t)| transaction(i, t, now)).collect()
}

/// A present, non-null field.
fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.get(name).filter(|v| !v.is_null())
}

fn required_string(obj: &Map<String, Value>, at: &str, name: &str) -> Result<String, String> {
    match field(obj, name).and_then(Value::as_str) {
        Some(s) if !s.trim().is_empty() => Ok(s.to_string()),
        _ => Err(format!("{at}.{name} is required and must be a string")),
    }
}

fn optional_string(obj: &Map<String, Value>, at: &str, name: &str) -> Result<Option<String>, String> {
    match field(obj, name) {
        None => Ok(None),
        Some(Value::String(s)) if s.chars().count() > MAX_DESCRIPTION_CHARS => {
            Err(format!("{at}.{name} must be at most {MAX_DESCRIPTION_CHARS} characters"))
        }
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{at}.{name} must be a string")),
    }
}

/// A price or quantity field: a string as the seed types it, or a JSON number taken as its text.
fn optional_decimal_text(obj: &Map<String, Value>, at: &str, name: &str) -> Result<Option<String>, String> {
    match field(obj, name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(format!("{at}.{name} must be a string")),
    }
}

fn optional_timestamp(obj: &Map<String, Value>, at: &str, name: &str) -> Result<Option<String>, String> {
    match field(obj, name) {
        None => Ok(None),
        Some(v) => v
            .as_str()
            .and_then(|s| parse_timestamp(s).ok())
            .map(|ts| Some(iso(ts)))
            .ok_or_else(|| format!("{at}.{name} must be a valid ISO timestamp")),
    }
}

/// Most bytes of one `metadata` object (as JSON text): a trade's thousand transactions stay small.
pub const MAX_METADATA_BYTES: usize = 16 * 1024;

fn metadata(value: Option<&Value>, at: &str) -> Result<Map<String, Value>, String> {
    match value.filter(|v| !v.is_null()) {
        None => Ok(Map::new()),
        Some(Value::Object(m)) => {
            let size = serde_json::to_string(m).map_or(usize::MAX, |t| t.len());
            if size > MAX_METADATA_BYTES {
                return Err(format!("{at} must be at most {MAX_METADATA_BYTES} bytes of JSON, got {size}"));
            }
            Ok(m.clone())
        }
        Some(_) => Err(format!("{at} must be an object")),
    }
}

fn transaction(i: usize, value: &Value, now: i64) -> Result<TransactionOut, String> {
    let at = format!("transactions[{i}]");
    let obj = value.as_object().ok_or_else(|| format!("{at} must be an object"))?;
    let group = match field(obj, "transactionGroup").and_then(Value::as_str) {
        Some(g @ ("entry" | "exit")) => g.to_string(),
        _ => return Err(format!("{at}.transactionGroup must be 'entry' or 'exit'")),
    };
    let exit_type = match field(obj, "exitType") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        None if group == "entry" => None,
        _ if group == "exit" => return Err(format!("{at}.exitType is required for exit transactions")),
        _ => return Err(format!("{at}.exitType must be a non-empty string")),
    };
    let trim_level = match field(obj, "trimLevel") {
        Some(Value::Number(n)) => Some(n.clone()),
        None if exit_type.as_deref() != Some("trim") => None,
        _ if exit_type.as_deref() == Some("trim") => {
            return Err(format!("{at}.trimLevel is required and must be a number for trim exits"));
        }
        _ => return Err(format!("{at}.trimLevel must be a number")),
    };
    let symbol = required_string(obj, &at, "symbol")?;
    let asset_type = required_string(obj, &at, "assetType")?;
    let side = required_string(obj, &at, "side")?;
    let order_type = required_string(obj, &at, "type")?;
    let quantity = match field(obj, "quantity") {
        Some(Value::Number(n)) => n.clone(),
        _ => return Err(format!("{at}.quantity is required and must be a number")),
    };
    match decimal_exact(&quantity.to_string()) {
        Some(q) if q > Decimal::ZERO && q <= MAX_QUANTITY => {}
        Some(q) if q > MAX_QUANTITY => return Err(format!("{at}.quantity must be at most {MAX_QUANTITY}")),
        _ => return Err(format!("{at}.quantity must be a number greater than 0")),
    }
    let transaction_date = field(obj, "transactionDate")
        .and_then(Value::as_str)
        .and_then(|s| parse_timestamp(s).ok())
        .map(iso)
        .ok_or_else(|| format!("{at}.transactionDate is required and must be a valid ISO timestamp"))?;
    let filled_quantity = optional_decimal_text(obj, &at, "filledQuantity")?;
    if let Some(q) = &filled_quantity
        && decimal_exact(q).is_none_or(|q| q < Decimal::ZERO)
    {
        return Err(format!("{at}.filledQuantity must be a number of units, 0 or more, as a string"));
    }
    Ok(TransactionOut {
        id: uuid::Uuid::new_v4().to_string(),
        transaction_group: group,
        exit_type,
        trim_level,
        symbol,
        asset_type,
        side,
        order_type,
        quantity,
        transaction_date,
        stop_price: optional_decimal_text(obj, &at, "stopPrice")?,
        price: optional_decimal_text(obj, &at, "price")?,
        option_type: optional_string(obj, &at, "optionType")?,
        strike_price: optional_decimal_text(obj, &at, "strikePrice")?,
        expiration_date: optional_string(obj, &at, "expirationDate")?,
        status: optional_string(obj, &at, "status")?,
        filled_at: optional_timestamp(obj, &at, "filledAt")?,
        filled_price: optional_decimal_text(obj, &at, "filledPrice")?,
        filled_quantity,
        avg_fill_price: optional_decimal_text(obj, &at, "avgFillPrice")?,
        broker: optional_string(obj, &at, "broker")?,
        broker_account_number: optional_string(obj, &at, "brokerAccountNumber")?,
        broker_order_id: optional_string(obj, &at, "brokerOrderId")?,
        broker_parent_order_id: optional_string(obj, &at, "brokerParentOrderId")?,
        notes: optional_string(obj, &at, "notes")?,
        metadata: metadata(obj.get("metadata"), &format!("{at}.metadata"))?,
        created_at: iso(now),
    })
}

/// Checks the body of a new trade: its transactions first (at least one entry), then the trade's
/// own fields.
pub fn new_trade(body: &Value, now: i64) -> Result<NewTrade, String> {
    let transactions = transactions(body, now)?;
    let first_entry =
        transactions.iter().find(|t| t.is_entry()).ok_or("transactions must include at least one entry transaction")?;
    let obj = body.as_object().ok_or("transactions array required and cannot be empty")?;
    let symbol = match field(obj, "symbol") {
        None => first_entry.symbol.clone(),
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(_) => return Err("symbol must be a non-empty string".into()),
    };
    let trade_type = match field(obj, "tradeType") {
        Some(Value::String(s)) if s == "long" => TradeType::Long,
        Some(Value::String(s)) if s == "short" => TradeType::Short,
        Some(_) => return Err("tradeType must be 'long' or 'short'".into()),
        None => TradeType::of_entry_side(&first_entry.side).ok_or_else(|| {
            format!(
                "tradeType is required ('long' or 'short') when the first entry's side is '{}' (not 'buy' or 'sell')",
                first_entry.side
            )
        })?,
    };
    let signal_at = match field(obj, "signalAt") {
        None => None,
        Some(v) => {
            Some(v.as_str().and_then(|s| parse_timestamp(s).ok()).ok_or("signalAt must be a valid ISO timestamp")?)
        }
    };
    let notes = match field(obj, "notes") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err("notes must be a string".into()),
    };
    Ok(NewTrade {
        symbol,
        trade_type,
        signal_at,
        notes,
        metadata: metadata(obj.get("metadata"), "metadata")?,
        transactions,
    })
}

/// The fields `PATCH` may change.
const UPDATABLE: [&str; 3] = ["notes", "metadata", "signalAt"];

/// Checks the body of a trade update: `notes`, `metadata`, `signalAt`, at least one of them.
pub fn update(body: &Value) -> Result<TradeUpdate, String> {
    let obj = body.as_object().ok_or("request body must be a JSON object")?;
    if let Some(name) = obj.keys().find(|k| !UPDATABLE.contains(&k.as_str())) {
        return Err(if matches!(name.as_str(), "status" | "openedAt" | "lastUpdateAt") {
            format!("{name} is recalculated from the transactions and cannot be set")
        } else if name == "transactions" {
            "transactions are added with POST /api/bots/{slug}/trades/{tradeId}/transactions".into()
        } else {
            format!("unknown field '{name}': a trade update may set notes, metadata, signalAt")
        });
    }
    if obj.is_empty() {
        return Err("a trade update needs at least one of notes, metadata, signalAt".into());
    }
    let mut update = TradeUpdate::default();
    if let Some(v) = obj.get("notes") {
        update.notes = Some(match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            _ => return Err("notes must be a string or null".into()),
        });
    }
    if let Some(v) = obj.get("metadata") {
        if !v.is_object() {
            return Err("metadata must be an object".into());
        }
        update.metadata = Some(metadata(Some(v), "metadata")?);
    }
    if let Some(v) = obj.get("signalAt") {
        update.signal_at =
            Some(v.as_str().and_then(|s| parse_timestamp(s).ok()).ok_or("signalAt must be a valid ISO timestamp")?);
    }
    Ok(update)
}
