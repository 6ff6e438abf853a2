//! An agent's isolated account: cash, signed positions with average cost, fees, fills, and the
//! arithmetic of booking a fill.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::limits::{MAX_CASH, add, mul, overflow, sub};
use crate::order::{OrderRole, Side};

/// One execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fill {
    /// Engine-assigned id, increasing.
    pub id: u64,
    /// The order that filled.
    pub order_id: u64,
    /// Ticker.
    pub symbol: String,
    /// buy / sell / short / cover.
    pub side: Side,
    /// Units filled.
    pub quantity: Decimal,
    /// Price paid or received per unit, slippage included.
    pub fill_price: Decimal,
    /// The price the order touched before slippage (open, limit or stop level).
    pub reference_price: Decimal,
    /// Slippage actually applied, in basis points against the trader (after clamping to the bar).
    pub slippage_bps: Decimal,
    /// Commission charged on this fill.
    pub commission: Decimal,
    /// `quantity × fill_price`.
    pub total_value: Decimal,
    /// Realised PnL of the part that closed a position (before this fill's commission).
    pub realized_pnl: Decimal,
    /// Time of the bar it filled on (UTC ms).
    pub ts: i64,
    /// Index of that bar time among the bar times the engine has processed (0 for the first); in a
    /// run, the timeline step (`ctx.bar_index` of a strategy at that bar).
    pub bar_index: usize,
    /// Why the order existed: manual, stop-loss, take-profit, trim, liquidation.
    pub role: OrderRole,
    /// The order's reasoning text, if any.
    pub reasoning: Option<String>,
}

/// A holding in one symbol; `quantity` is positive for a long, negative for a short.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Position {
    /// Signed units held.
    pub quantity: Decimal,
    /// Average entry price of the units held.
    pub avg_cost: Decimal,
    /// PnL realised in this symbol so far (before commissions).
    pub realized_pnl: Decimal,
    /// Commissions paid in this symbol.
    pub fees: Decimal,
}

impl Position {
    /// True when nothing is held.
    pub fn is_flat(&self) -> bool {
        self.quantity.is_zero()
    }
}

/// A position priced at a mark, as reported to agents (the bot API's portfolio entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionView {
    /// Ticker.
    pub symbol: String,
    /// Signed units (negative = short).
    pub quantity: Decimal,
    /// Average entry price.
    pub avg_cost: Decimal,
    /// The mark used (last close seen).
    pub current_price: Decimal,
    /// `quantity × current_price` (negative for shorts).
    pub market_value: Decimal,
    /// `(current_price − avg_cost) × quantity`.
    pub unrealized_pnl: Decimal,
    /// PnL realised in this symbol so far.
    pub realized_pnl: Decimal,
}

/// Equity and its parts at one point of the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EquityPoint {
    /// Time (UTC ms): the run's start, then each bar close.
    pub ts: i64,
    /// Cash + signed position values.
    pub equity: Decimal,
    /// Sum of |position value|.
    pub gross_exposure: Decimal,
}

/// An equity curve borrowed from an engine, not copied: an optional first point followed by a
/// slice of points — how an agent's track record sits in memory after a reset (the reset's
/// starting point, then the bars since).
#[derive(Debug, Clone, Copy, Default)]
pub struct Curve<'a> {
    /// The point before `points`, if any.
    pub start: Option<EquityPoint>,
    /// The points after `start`.
    pub points: &'a [EquityPoint],
}

impl<'a> Curve<'a> {
    /// The curve made of `points` alone.
    #[must_use]
    pub fn new(points: &'a [EquityPoint]) -> Self {
        Curve { start: None, points }
    }

    /// Every point, `start` first.
    pub fn iter(&self) -> impl Iterator<Item = &EquityPoint> + Clone + '_ {
        self.start.iter().chain(self.points)
    }

    /// Point `i` (0 = the first).
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&EquityPoint> {
        match (&self.start, i) {
            (Some(p), 0) => Some(p),
            (Some(_), _) => self.points.get(i - 1),
            (None, _) => self.points.get(i),
        }
    }

    /// Number of points.
    #[must_use]
    pub fn len(&self) -> usize {
        self.points.len() + usize::from(self.start.is_some())
    }

    /// True when the curve has no point.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Positions marked to market: see [`Account::marked`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Marked {
    /// Signed position value.
    pub net: Decimal,
    /// Gross exposure `Σ |position value|`.
    pub gross: Decimal,
    /// True when a position is short.
    pub short: bool,
}

/// Cash and positions of one agent. Positions are indexed by the engine's symbol index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Cash at the start (and after a reset).
    pub starting_cash: Decimal,
    /// Cash now. Buying lowers it, selling and shorting raise it, commissions lower it.
    pub cash: Decimal,
    /// One entry per symbol of the engine.
    pub positions: Vec<Position>,
    /// Commissions paid in all.
    pub fees_paid: Decimal,
    /// Realised PnL in all (before commissions).
    pub realized_pnl: Decimal,
    /// Sum of |quantity × price| over all fills.
    pub traded_notional: Decimal,
    open_positions: usize,
}

impl Account {
    /// A fresh account holding only cash.
    pub fn new(starting_cash: Decimal, symbols: usize) -> Self {
        Account {
            starting_cash,
            cash: starting_cash,
            positions: vec![Position::default(); symbols],
            fees_paid: Decimal::ZERO,
            realized_pnl: Decimal::ZERO,
            traded_notional: Decimal::ZERO,
            open_positions: 0,
        }
    }

    /// Number of symbols with a non-zero position.
    pub fn open_positions(&self) -> usize {
        self.open_positions
    }

    /// Signed position value and gross exposure at `marks` (one per symbol).
    pub fn valuation(&self, marks: &[Decimal]) -> (Decimal, Decimal) {
        let v = self.marked(marks);
        (v.net, v.gross)
    }

    /// [`Account::valuation`], and whether any position is short. Walks the positions once, and
    /// with one position open (the usual case) does one multiplication and no addition.
    pub(crate) fn marked(&self, marks: &[Decimal]) -> Marked {
        let mut out = Marked { net: Decimal::ZERO, gross: Decimal::ZERO, short: false };
        if self.open_positions == 0 {
            return out;
        }
        let mut first = true;
        for (p, mark) in self.positions.iter().zip(marks) {
            if !p.quantity.is_zero() {
                let v = p.quantity * *mark;
                out.short |= p.quantity.is_sign_negative();
                if first {
                    (out.net, out.gross, first) = (v, v.abs(), false);
                } else {
                    out.net += v;
                    out.gross += v.abs();
                }
            }
        }
        out
    }

    /// Cash plus signed position values at `marks`.
    pub fn equity(&self, marks: &[Decimal]) -> Decimal {
        self.cash + self.valuation(marks).0
    }

    /// Books a fill of `quantity` (> 0) on `side` at `price` with `commission`; returns the PnL
    /// realised by the part that reduced a position. Callers have checked the side is allowed
    /// (sell ≤ long, cover ≤ short, no buy while short).
    ///
    /// Every sum is checked, and the cash balance and the total traded notional stay within
    /// [`MAX_CASH`]: a fill past them is `arithmetic_overflow` and leaves the account unchanged.
    /// With those two bounded, every figure derived from the fills (PnL, fees, trades) is too.
    pub fn apply_fill(
        &mut self,
        symbol: usize,
        side: Side,
        quantity: Decimal,
        price: Decimal,
        commission: Decimal,
    ) -> Result<Decimal> {
        let signed = side.sign() * quantity;
        let notional = mul(quantity, price, "the fill's notional")?;
        let p = &self.positions[symbol];
        let was_flat = p.quantity.is_zero();
        let mut realized = Decimal::ZERO;
        let mut avg_cost = p.avg_cost;
        if was_flat || p.quantity.is_sign_positive() == signed.is_sign_positive() {
            let held = p.quantity.abs();
            let cost = add(mul(p.avg_cost, held, "the position's cost")?, notional, "the position's cost")?;
            avg_cost = cost / add(held, quantity, "the position")?;
        } else {
            let closed = quantity.min(p.quantity.abs());
            let direction = if p.quantity.is_sign_positive() { Decimal::ONE } else { Decimal::NEGATIVE_ONE };
            realized = mul(price - p.avg_cost, closed, "the realised PnL")? * direction;
        }
        let position = add(p.quantity, signed, "the position")?;
        if position.is_zero() {
            avg_cost = Decimal::ZERO;
        }
        let symbol_pnl = add(p.realized_pnl, realized, "the symbol's realised PnL")?;
        let symbol_fees = add(p.fees, commission, "the symbol's fees")?;
        let cash = sub(self.cash, add(side.sign() * notional, commission, "the fill's cash")?, "cash")?;
        let traded = add(self.traded_notional, notional, "the traded notional")?;
        if cash.abs() > MAX_CASH || traded > MAX_CASH {
            return Err(overflow(&format!(
                "after this fill, cash {cash} or traded notional {traded} (at most {MAX_CASH})"
            )));
        }
        let fees_paid = add(self.fees_paid, commission, "the fees paid")?;
        let total_pnl = add(self.realized_pnl, realized, "the realised PnL")?;
        let p = &mut self.positions[symbol];
        (p.quantity, p.avg_cost, p.realized_pnl, p.fees) = (position, avg_cost, symbol_pnl, symbol_fees);
        match (was_flat, position.is_zero()) {
            (true, false) => self.open_positions += 1,
            (false, true) => self.open_positions -= 1,
            _ => {}
        }
        (self.cash, self.fees_paid, self.realized_pnl, self.traded_notional) = (cash, fees_paid, total_pnl, traded);
        Ok(realized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn long_round_trip_books_cash_and_pnl() {
        let mut a = Account::new(dec!(10000), 1);
        a.apply_fill(0, Side::Buy, dec!(10), dec!(100), dec!(1)).unwrap();
        a.apply_fill(0, Side::Buy, dec!(10), dec!(110), dec!(1)).unwrap();
        assert_eq!(a.positions[0].avg_cost, dec!(105));
        assert_eq!(a.cash, dec!(10000) - dec!(2100) - dec!(2));
        let r = a.apply_fill(0, Side::Sell, dec!(20), dec!(120), dec!(1)).unwrap();
        assert_eq!(r, dec!(300));
        assert_eq!(a.cash, dec!(10000) + dec!(300) - dec!(3));
        assert_eq!(a.open_positions(), 0);
        assert_eq!(a.equity(&[dec!(1)]), a.cash);
    }

    #[test]
    fn short_gains_when_price_falls() {
        let mut a = Account::new(dec!(10000), 1);
        a.apply_fill(0, Side::Short, dec!(10), dec!(100), dec!(0)).unwrap();
        assert_eq!(a.cash, dec!(11000));
        assert_eq!(a.equity(&[dec!(90)]), dec!(10100));
        assert_eq!(a.valuation(&[dec!(90)]).1, dec!(900));
        let r = a.apply_fill(0, Side::Cover, dec!(4), dec!(90), dec!(0)).unwrap();
        assert_eq!(r, dec!(40));
        assert_eq!(a.positions[0].quantity, dec!(-6));
    }
}
