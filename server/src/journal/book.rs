//! The journal's rows: bots (a slug owned by one account), their trades, and each trade's
//! transactions, read and written on the store's connection (inside `Store::write` or
//! `Store::read`, so a change and the status it leads to commit together).

use crate::args;
use crate::db::{Db, OptionalExt as _};
use vectrade_core::journal::JournalStatus;

use super::wire::{NewTrade, TradeOut, TradeUpdate, TransactionOut, iso, summary};

/// A bot of the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bot {
    /// UUID (`botId` on the wire).
    pub id: String,
    /// The account that owns it.
    pub account_id: String,
}

/// Filters and page of a trade list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only trades of this status.
    pub status: Option<JournalStatus>,
    /// Only trades of this symbol.
    pub symbol: Option<String>,
    /// Page size.
    pub limit: usize,
    /// Trades skipped.
    pub offset: usize,
}

fn json_error(e: serde_json::Error) -> crate::db::DbError {
    crate::db::DbError::other(e.to_string())
}

/// The bot named `slug`, if any.
pub fn bot(conn: &Db, slug: &str) -> crate::db::DbResult<Option<Bot>> {
    conn.query_row("SELECT id, account_id FROM journal_bots WHERE slug = ?1", [slug], |r| {
        Ok(Bot { id: r.get(0)?, account_id: r.get(1)? })
    })
    .optional()
}

/// The bot named `slug`, created for `account_id` if it does not exist yet (its owner may be
/// another account: the caller checks).
pub fn bot_or_create(conn: &Db, slug: &str, account_id: &str, now: i64) -> crate::db::DbResult<Bot> {
    if let Some(b) = bot(conn, slug)? {
        return Ok(b);
    }
    let id = uuid::Uuid::new_v4().to_string();
    conn.execute(
        "INSERT INTO journal_bots (id, slug, account_id, created_at) VALUES (?1, ?2, ?3, ?4)",
        args![id, slug, account_id, now],
    )?;
    Ok(Bot { id, account_id: account_id.to_string() })
}

/// A trade's transactions, in the order they were added.
pub fn transactions(conn: &Db, trade_id: &str) -> crate::db::DbResult<Vec<TransactionOut>> {
    let rows =
        conn.query_map("SELECT body FROM journal_transactions WHERE trade_id = ?1 ORDER BY seq", [trade_id], |r| {
            r.get::<String>(0)
        })?;
    rows.iter().map(|text| serde_json::from_str(text).map_err(json_error)).collect()
}

const TRADE_COLUMNS: &str =
    "id, bot_id, symbol, trade_type, status, signal_at, opened_at, notes, metadata, created_at, last_update_at";

fn trade_row(conn: &Db, r: &crate::db::Row<'_>) -> crate::db::DbResult<TradeOut> {
    let id: String = r.get(0)?;
    let metadata: String = r.get(8)?;
    Ok(TradeOut {
        transactions: transactions(conn, &id)?,
        id,
        bot_id: r.get(1)?,
        symbol: r.get(2)?,
        trade_type: r.get(3)?,
        status: r.get(4)?,
        signal_at: iso(r.get(5)?),
        opened_at: iso(r.get(6)?),
        notes: r.get(7)?,
        metadata: serde_json::from_str(&metadata).map_err(json_error)?,
        created_at: iso(r.get(9)?),
        last_update_at: iso(r.get(10)?),
    })
}

/// The bot's trade `trade_id`, with its transactions; `None` when the bot has no such trade
/// (another bot's trade is not this bot's).
pub fn trade(conn: &Db, bot_id: &str, trade_id: &str) -> crate::db::DbResult<Option<TradeOut>> {
    conn.query_row(
        &format!("SELECT {TRADE_COLUMNS} FROM journal_trades WHERE id = ?1 AND bot_id = ?2"),
        args![trade_id, bot_id],
        |r| trade_row(conn, r),
    )
    .optional()
}

/// A page of the bot's trades (newest first) and how many match the filters in all.
pub fn list(conn: &Db, bot_id: &str, filter: &ListFilter) -> crate::db::DbResult<(Vec<TradeOut>, usize)> {
    let status = filter.status.map(JournalStatus::as_str);
    let wheres =
        "bot_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR status = ?2) AND (CAST(?3 AS TEXT) IS NULL OR symbol = ?3)";
    let total: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM journal_trades WHERE {wheres}"),
        args![bot_id, status, filter.symbol],
        |r| r.get(0),
    )?;
    let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
    let offset = i64::try_from(filter.offset).unwrap_or(i64::MAX);
    let trades = conn.query_map(
        &format!(
            "SELECT {TRADE_COLUMNS} FROM journal_trades WHERE {wheres} ORDER BY created_at DESC, rowid DESC LIMIT ?4 OFFSET ?5"
        ),
        args![bot_id, status, filter.symbol, limit, offset],
        |r| trade_row(conn, r),
    )?;
    Ok((trades, usize::try_from(total).unwrap_or(0)))
}

/// Number of transactions of the bot's trade `trade_id`; `None` when the bot has no such trade.
pub fn transaction_count(conn: &Db, bot_id: &str, trade_id: &str) -> crate::db::DbResult<Option<usize>> {
    let found: Option<i64> = conn
        .query_row(
            "SELECT (SELECT COUNT(*) FROM journal_transactions WHERE trade_id = t.id)
             FROM journal_trades t WHERE t.id = ?1 AND t.bot_id = ?2",
            args![trade_id, bot_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(found.map(|n| usize::try_from(n).unwrap_or(0)))
}

fn insert_transactions(
    conn: &Db,
    trade_id: &str,
    first_seq: usize,
    transactions: &[TransactionOut],
) -> crate::db::DbResult<()> {
    for (i, t) in transactions.iter().enumerate() {
        let seq = i64::try_from(first_seq + i).unwrap_or(i64::MAX);
        conn.execute(
            "INSERT INTO journal_transactions (trade_id, seq, body) VALUES (?1, ?2, ?3)",
            args![trade_id, seq, serde_json::to_string(t).map_err(json_error)?],
        )?;
    }
    Ok(())
}

/// Recalculates the trade's status and opening time from all its transactions (the core's rule).
fn recalculate(conn: &Db, trade_id: &str, now: i64) -> crate::db::DbResult<()> {
    let (status, opened_at) = summary(&transactions(conn, trade_id)?);
    conn.execute(
        "UPDATE journal_trades SET status = ?1, opened_at = COALESCE(?2, opened_at), last_update_at = ?3 WHERE id = ?4",
        args![status.as_str(), opened_at, now, trade_id],
    )?;
    Ok(())
}

/// Inserts a new trade of `bot` with its transactions; returns its id.
pub fn insert_trade(conn: &Db, bot: &Bot, new: &NewTrade, now: i64) -> crate::db::DbResult<String> {
    let id = uuid::Uuid::new_v4().to_string();
    let (status, opened_at) = summary(&new.transactions);
    let opened_at = opened_at.unwrap_or(now);
    let metadata = serde_json::to_string(&new.metadata).map_err(json_error)?;
    conn.execute(
        &format!("INSERT INTO journal_trades ({TRADE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
        args![
            id,
            bot.id,
            new.symbol,
            new.trade_type.as_str(),
            status.as_str(),
            new.signal_at.unwrap_or(opened_at),
            opened_at,
            new.notes,
            metadata,
            now,
            now
        ],
    )?;
    insert_transactions(conn, &id, 0, &new.transactions)?;
    Ok(id)
}

/// Appends transactions to a trade that has `existing` of them, and recalculates its status.
pub fn append(
    conn: &Db,
    trade_id: &str,
    existing: usize,
    transactions: &[TransactionOut],
    now: i64,
) -> crate::db::DbResult<()> {
    insert_transactions(conn, trade_id, existing, transactions)?;
    recalculate(conn, trade_id, now)
}

/// Applies an update to the bot's trade; `false` when the bot has no such trade.
pub fn update(conn: &Db, bot_id: &str, trade_id: &str, u: &TradeUpdate, now: i64) -> crate::db::DbResult<bool> {
    let metadata = u.metadata.as_ref().map(serde_json::to_string).transpose().map_err(json_error)?;
    let n = conn.execute(
        "UPDATE journal_trades SET
            notes = CASE WHEN ?1 THEN ?2 ELSE notes END,
            metadata = COALESCE(?3, metadata),
            signal_at = COALESCE(?4, signal_at),
            last_update_at = ?5
         WHERE id = ?6 AND bot_id = ?7",
        args![u.notes.is_some(), u.notes.clone().flatten(), metadata, u.signal_at, now, trade_id, bot_id],
    )?;
    Ok(n == 1)
}
