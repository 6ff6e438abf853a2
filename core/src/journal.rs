//! The trade journal: fills grouped into round-trip trades (long or short, open or closed) with
//! their entries and exits, each exit typed as in the bot trade journal (stop, take-profit, trim
//! level, manual) plus liquidation; and the status of a trade kept in a bot's trade journal.

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

impl TradeType {
    /// The direction a journaled trade takes from its first entry's side (case-insensitive):
    /// `buy` or `buy_to_open` is long; `sell`, `short`, `sell_short` or `sell_to_open` is short.
    #[must_use]
    pub fn of_entry_side(side: &str) -> Option<TradeType> {
        match side.trim().to_ascii_lowercase().as_str() {
            "buy" | "buy_to_open" => Some(TradeType::Long),
            "sell" | "short" | "sell_short" | "sell_to_open" => Some(TradeType::Short),
            _ => None,
        }
    }

    /// The wire name: `long` or `short`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            TradeType::Long => "long",
            TradeType::Short => "short",
        }
    }
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
    /// Index of that bar time (the fill's `bar_index`; in a run, the timeline step).
    pub bar_index: usize,
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
    /// Bar index of the first entry (see [`TradeLeg::bar_index`]).
    pub opened_bar_index: usize,
    /// Time the position went flat.
    pub closed_at: Option<i64>,
    /// Bar index of the exit that made it flat.
    pub closed_bar_index: Option<usize>,
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
            bar_index: f.bar_index,
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
                    opened_bar_index: f.bar_index,
                    closed_at: None,
                    closed_bar_index: None,
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
            t.closed_bar_index = Some(f.bar_index);
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

/// Status of a trade kept in a bot's trade journal (the journal API), recalculated from its
/// transactions after every change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JournalStatus {
    /// No exit has executed yet (entries may still be working).
    Open,
    /// Some exits executed (a trim, a partial fill) and part of the position remains.
    PartiallyClosed,
    /// Executed exits cover the whole entered quantity, or nothing was ever entered.
    Closed,
}

impl JournalStatus {
    /// The wire name: `open`, `partially_closed`, `closed`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            JournalStatus::Open => "open",
            JournalStatus::PartiallyClosed => "partially_closed",
            JournalStatus::Closed => "closed",
        }
    }
}

/// Where a journaled transaction (an order sent to a broker) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegState {
    /// On the books or not yet reported (`open`, `pending`, `partially_filled`, no status, ...).
    Working,
    /// Executed in full.
    Filled,
    /// Will never execute further (`cancelled`, `canceled`, `rejected`, `expired`).
    Void,
}

impl LegState {
    /// The state a transaction's `status` text names (case-insensitive); anything that is neither
    /// filled nor void is still working.
    #[must_use]
    pub fn from_status(status: Option<&str>) -> LegState {
        match status.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
            Some("filled") => LegState::Filled,
            Some("cancelled" | "canceled" | "rejected" | "expired") => LegState::Void,
            _ => LegState::Working,
        }
    }
}

/// One journaled transaction, as far as the trade's status is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalLeg {
    /// Units ordered.
    pub quantity: Decimal,
    /// Where it stands.
    pub state: LegState,
    /// Units reported executed, when the broker said (a partial fill).
    pub filled_quantity: Option<Decimal>,
}

impl JournalLeg {
    /// Units executed: the reported fill (within 0 and `quantity`), else all of it once filled.
    #[must_use]
    pub fn executed(&self) -> Decimal {
        match self.filled_quantity {
            Some(q) => q.max(Decimal::ZERO).min(self.quantity),
            None if self.state == LegState::Filled => self.quantity,
            None => Decimal::ZERO,
        }
    }

    /// Units this entry puts on: all of it while it works (a working entry is the position the
    /// trade means to hold, whatever it filled so far), else what it executed.
    fn entered(&self) -> Decimal {
        if self.state == LegState::Working { self.quantity } else { self.executed() }
    }
}

/// A journaled trade's status from its entries and exits: `closed` once the executed exits cover
/// everything entered (or every entry was voided unfilled), `partially_closed` while some exit
/// executed and part of the position remains, else `open`. Working exits (a resting stop or
/// take-profit) change nothing until they execute.
#[must_use]
pub fn status_from_legs(entries: &[JournalLeg], exits: &[JournalLeg]) -> JournalStatus {
    // Saturating: a sum past the decimal range still compares right and never panics.
    let entered = entries.iter().map(JournalLeg::entered).fold(Decimal::ZERO, Decimal::saturating_add);
    let exited = exits.iter().map(JournalLeg::executed).fold(Decimal::ZERO, Decimal::saturating_add);
    if entered <= Decimal::ZERO || exited >= entered {
        JournalStatus::Closed
    } else if exited > Decimal::ZERO {
        JournalStatus::PartiallyClosed
    } else {
        JournalStatus::Open
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leg(quantity: i64, status: Option<&str>) -> JournalLeg {
        JournalLeg { quantity: Decimal::from(quantity), state: LegState::from_status(status), filled_quantity: None }
    }

    #[test]
    fn journal_status_follows_executed_exits() {
        let entry = [leg(100, Some("filled"))];
        assert_eq!(status_from_legs(&entry, &[]), JournalStatus::Open);
        // A resting take-profit and an unreported stop change nothing.
        let working = [leg(100, Some("open")), leg(100, None)];
        assert_eq!(status_from_legs(&entry, &working), JournalStatus::Open);
        let trim = [leg(50, Some("FILLED"))];
        assert_eq!(status_from_legs(&entry, &trim), JournalStatus::PartiallyClosed);
        let all = [leg(50, Some("filled")), leg(50, Some("filled"))];
        assert_eq!(status_from_legs(&entry, &all), JournalStatus::Closed);
        // More exited than entered is still closed.
        assert_eq!(status_from_legs(&entry, &[leg(150, Some("filled"))]), JournalStatus::Closed);
    }

    #[test]
    fn journal_status_counts_working_entries_and_partial_fills() {
        // An entry not yet reported filled is the size the trade means to hold, even with 0 filled.
        let mut nothing_yet = leg(100, Some("open"));
        nothing_yet.filled_quantity = Some(Decimal::ZERO);
        assert_eq!(status_from_legs(&[nothing_yet], &[]), JournalStatus::Open);
        let entries = [leg(60, None), leg(40, Some("open"))];
        assert_eq!(status_from_legs(&entries, &[leg(60, Some("filled"))]), JournalStatus::PartiallyClosed);
        assert_eq!(status_from_legs(&entries, &[leg(100, Some("filled"))]), JournalStatus::Closed);
        // An entry filled 60 of 100 then cancelled holds 60; a partially filled exit counts its fill.
        let mut partial = leg(100, Some("cancelled"));
        partial.filled_quantity = Some(Decimal::from(60));
        let mut exit = leg(100, Some("partially_filled"));
        exit.filled_quantity = Some(Decimal::from(30));
        assert_eq!(exit.executed(), Decimal::from(30));
        assert_eq!(status_from_legs(&[partial], &[exit]), JournalStatus::PartiallyClosed);
        exit.filled_quantity = Some(Decimal::from(60));
        assert_eq!(status_from_legs(&[partial], &[exit]), JournalStatus::Closed);
        // A reported fill is held within the order's quantity.
        exit.filled_quantity = Some(Decimal::from(500));
        assert_eq!(exit.executed(), Decimal::from(100));
    }

    #[test]
    fn journal_status_of_a_trade_that_never_entered() {
        assert_eq!(status_from_legs(&[leg(100, Some("rejected"))], &[]), JournalStatus::Closed);
        assert_eq!(status_from_legs(&[], &[]), JournalStatus::Closed);
        assert_eq!(LegState::from_status(Some(" Canceled ")), LegState::Void);
        assert_eq!(LegState::from_status(Some("partially_filled")), LegState::Working);
        assert_eq!(JournalStatus::PartiallyClosed.as_str(), "partially_closed");
    }

    #[test]
    fn journal_trade_type_of_the_first_entry() {
        assert_eq!(TradeType::of_entry_side("BUY"), Some(TradeType::Long));
        assert_eq!(TradeType::of_entry_side("sell_short"), Some(TradeType::Short));
        assert_eq!(TradeType::of_entry_side("hold"), None);
        assert_eq!(TradeType::Short.as_str(), "short");
    }
}
