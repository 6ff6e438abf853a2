//! The trade journal: fills grouped into round-trip trades (long or short, open or closed) with
//! their entries and exits, each exit typed as in the bot trade journal (stop, take-profit, trim
//! level, manual) plus liquidation.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::account::Fill;
use crate::order::OrderRole;

/// Long or short.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TradeType {
    /// Opened by a buy.
    Long,
    /// Opened by a short.
    Short,
}

/// Whether the position is still held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TradeStatus {
    /// Some of the position is still held.
    Open,
    /// The position went back to zero.
    Closed,
}

/// How an exit happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitType {
    /// A bracket's stop-loss.
    Stop,
    /// A bracket's take-profit.
    TakeProfit,
    /// A bracket's trim at a level (see `trim_level`).
    Trim,
    /// An order the agent placed.
    Manual,
    /// A forced close by a margin call.
    Liquidation,
    /// The close of an agent reset.
    Reset,
}

/// One fill inside a trade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeLeg {
    /// The fill.
    pub fill_id: u64,
    /// Its order.
    pub order_id: u64,
    /// Bar time (UTC ms).
    pub ts: i64,
    /// Units.
    pub quantity: Decimal,
    /// Fill price.
    pub price: Decimal,
    /// Commission of the fill.
    pub commission: Decimal,
    /// For exits: how.
    pub exit_type: Option<ExitType>,
    /// For trim exits: the level.
    pub trim_level: Option<u32>,
}

/// A round trip in one symbol: from flat, through entries and exits, back to flat (or still open).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trade {
    /// 1, 2, ... in opening order.
    pub id: u64,
    /// Ticker.
    pub symbol: String,
    /// Long or short.
    pub trade_type: TradeType,
    /// Open or closed.
    pub status: TradeStatus,
    /// First entry time.
    pub opened_at: i64,
    /// Time the position went flat.
    pub closed_at: Option<i64>,
    /// Fills that opened or added.
    pub entries: Vec<TradeLeg>,
    /// Fills that reduced or closed.
    pub exits: Vec<TradeLeg>,
    /// Units entered in all.
    pub quantity: Decimal,
    /// Units still held.
    pub open_quantity: Decimal,
    /// Volume-weighted entry price.
    pub avg_entry_price: Decimal,
    /// Volume-weighted exit price, once anything exited.
    pub avg_exit_price: Option<Decimal>,
    /// PnL realised by the exits, before commissions.
    pub realized_pnl: Decimal,
    /// Commissions of all legs.
    pub fees: Decimal,
    /// `realized_pnl − fees`.
    pub net_pnl: Decimal,
    /// `net_pnl` as % of the entered notional (percent).
    pub return_pct: f64,
}

fn exit_type(role: OrderRole) -> (ExitType, Option<u32>) {
    match role {
        OrderRole::StopLoss => (ExitType::Stop, None),
        OrderRole::TakeProfit => (ExitType::TakeProfit, None),
        OrderRole::Trim { level } => (ExitType::Trim, Some(level)),
        OrderRole::Liquidation => (ExitType::Liquidation, None),
        OrderRole::Reset => (ExitType::Reset, None),
        OrderRole::Manual => (ExitType::Manual, None),
    }
}

/// Groups fills (in execution order) into trades, in opening order.
pub fn trades(fills: &[Fill]) -> Vec<Trade> {
    let mut out: Vec<Trade> = Vec::new();
    let mut open: BTreeMap<&str, usize> = BTreeMap::new();
    for f in fills {
        let leg = |exit: Option<(ExitType, Option<u32>)>| TradeLeg {
            fill_id: f.id,
            order_id: f.order_id,
            ts: f.ts,
            quantity: f.quantity,
            price: f.fill_price,
            commission: f.commission,
            exit_type: exit.map(|e| e.0),
            trim_level: exit.and_then(|e| e.1),
        };
        let k = match open.get(f.symbol.as_str()) {
            Some(&k) => k,
            None => {
                out.push(Trade {
                    id: out.len() as u64 + 1,
                    symbol: f.symbol.clone(),
                    trade_type: if f.side.is_buying() { TradeType::Long } else { TradeType::Short },
                    status: TradeStatus::Open,
                    opened_at: f.ts,
                    closed_at: None,
                    entries: Vec::new(),
                    exits: Vec::new(),
                    quantity: Decimal::ZERO,
                    open_quantity: Decimal::ZERO,
                    avg_entry_price: Decimal::ZERO,
                    avg_exit_price: None,
                    realized_pnl: Decimal::ZERO,
                    fees: Decimal::ZERO,
                    net_pnl: Decimal::ZERO,
                    return_pct: 0.0,
                });
                open.insert(&f.symbol, out.len() - 1);
                out.len() - 1
            }
        };
        let t = &mut out[k];
        t.fees += f.commission;
        if f.side.opens() {
            t.avg_entry_price =
                (t.avg_entry_price * t.quantity + f.fill_price * f.quantity) / (t.quantity + f.quantity);
            t.quantity += f.quantity;
            t.open_quantity += f.quantity;
            t.entries.push(leg(None));
        } else {
            let exited: Decimal = t.exits.iter().map(|l| l.quantity).sum();
            let prev = t.avg_exit_price.unwrap_or_default();
            t.avg_exit_price = Some((prev * exited + f.fill_price * f.quantity) / (exited + f.quantity));
            t.open_quantity -= f.quantity;
            t.realized_pnl += f.realized_pnl;
            t.exits.push(leg(Some(exit_type(f.role))));
        }
        t.net_pnl = t.realized_pnl - t.fees;
        if t.open_quantity.is_zero() {
            t.status = TradeStatus::Closed;
            t.closed_at = Some(f.ts);
            open.remove(f.symbol.as_str());
        }
    }
    // Once per trade, from its state after its last fill.
    for t in &mut out {
        let entered = t.avg_entry_price * t.quantity;
        t.return_pct = if entered.is_zero() {
            0.0
        } else {
            match t.net_pnl.checked_mul(Decimal::ONE_HUNDRED) {
                Some(pct) => crate::num::to_f64(pct / entered),
                // A PnL near the range's end (accounts stop at 10^27): the ratio in floats.
                None => crate::num::to_f64(t.net_pnl) / crate::num::to_f64(entered) * 100.0,
            }
        };
    }
    out
}
