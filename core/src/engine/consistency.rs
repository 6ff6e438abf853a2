//! Consistency of an engine read from a snapshot: every invariant the engine keeps while it runs,
//! checked once, so an edited or corrupted snapshot is refused instead of panicking later.
//!
//! The bounds are not written twice: the rules are checked by building a fresh engine from them
//! (`Engine::new`), risk profiles by the check `add_agent` uses, and each account is rebuilt from
//! its fills with the booking arithmetic itself (`Account::apply_fill`), which must give the very
//! account the snapshot holds.

use std::collections::BTreeSet;

use rust_decimal::Decimal;

use super::{Agent, AgentStatus, Engine};
use crate::account::Account;
use crate::costs::bps_between;
use crate::error::{Error, ErrorKind, Result};
use crate::limits::{MAX_AGENTS, MAX_NAME_CHARS, MAX_PRICE, MAX_QUANTITY, check_text};
use crate::order::{OrderRole, OrderStatus};
use crate::time::session_of;

/// The error of a snapshot that breaks an invariant.
pub(crate) fn inconsistent(what: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidSnapshot, format!("inconsistent snapshot: {what}"))
}

/// Largest next order or fill id a snapshot may hold: 2^53 − 1.
const MAX_ID: u64 = (1 << 53) - 1;

fn ensure(ok: bool, what: impl FnOnce() -> String) -> Result<()> {
    if ok { Ok(()) } else { Err(inconsistent(what())) }
}

impl Engine {
    /// Checks the internal consistency of a deserialised engine (a snapshot may have been edited
    /// or corrupted): rules within the bounds the constructors enforce, symbol tables, marks and
    /// clocks, unique agents with valid profiles, orders (ids, quantities, prices, statuses,
    /// parents, client ids), the working list, fills, equity curves and track records, and each
    /// account equal to the one its fills book. An engine that passes can run without panicking.
    pub fn check_consistency(&self) -> Result<()> {
        let fresh = Engine::new(self.config.clone()).map_err(|e| inconsistent(format!("rules: {}", e.detail)))?;
        ensure(self.symbols == fresh.symbols && self.index == fresh.index, || {
            "symbol tables differ from the rules".into()
        })?;
        ensure(self.matcher == fresh.matcher, || "matching rules differ from the cost rules".into())?;
        let n = self.symbols.len();
        ensure(self.marks.len() == n && self.last_bar_ts.len() == n, || "symbol tables differ in length".into())?;
        for (i, (mark, last)) in self.marks.iter().zip(&self.last_bar_ts).enumerate() {
            let priced = *mark > Decimal::ZERO && *mark <= MAX_PRICE;
            ensure(if last.is_some() { priced } else { mark.is_zero() }, || {
                format!("mark {mark} of '{}' does not fit its bars", self.symbols[i])
            })?;
            ensure(last.is_none_or(|t| self.clock.is_some_and(|c| t <= c)), || {
                format!("last bar of '{}' is after the clock", self.symbols[i])
            })?;
        }
        let offset = self.config.session_utc_offset_minutes;
        ensure(self.session == self.clock.map(|c| session_of(c, offset)), || {
            "session differs from the clock's".into()
        })?;
        ensure(self.agents.len() <= MAX_AGENTS, || format!("more than {MAX_AGENTS} agents"))?;
        let mut names = BTreeSet::new();
        let (mut order_ids, mut fill_ids) = (BTreeSet::new(), BTreeSet::new());
        for a in &self.agents {
            check_text("agent name", &a.name, MAX_NAME_CHARS).map_err(|e| inconsistent(e.detail))?;
            ensure(names.insert(a.name.as_str()), || format!("two agents named '{}'", a.name))?;
            self.validate_profile(&a.profile).map_err(|e| inconsistent(format!("agent '{}': {}", a.name, e.detail)))?;
            self.check_agent(a, &mut order_ids, &mut fill_ids)
                .map_err(|e| inconsistent(format!("agent '{}': {}", a.name, e.detail)))?;
        }
        ensure(order_ids.last().is_none_or(|&id| id < self.next_order_id), || {
            "an order id reaches the next id".into()
        })?;
        ensure(fill_ids.last().is_none_or(|&id| id < self.next_fill_id), || "a fill id reaches the next id".into())?;
        // Ids stay exact in a JavaScript number, and counting on from them cannot overflow.
        ensure(self.next_order_id <= MAX_ID && self.next_fill_id <= MAX_ID, || "the next ids are out of range".into())?;
        Ok(())
    }

    fn check_agent(&self, a: &Agent, order_ids: &mut BTreeSet<u64>, fill_ids: &mut BTreeSet<u64>) -> Result<()> {
        let plain = |what: String| Error::new(ErrorKind::InvalidSnapshot, what);
        let ensure = |ok: bool, what: &dyn Fn() -> String| if ok { Ok(()) } else { Err(plain(what())) };
        let clock = self.clock;
        ensure(a.orders.windows(2).all(|w| w[0].id < w[1].id), &|| "orders are not ascending by id".into())?;
        for o in &a.orders {
            ensure(order_ids.insert(o.id), &|| format!("order id {} is used twice", o.id))?;
            let r = &o.request;
            // A rejected order may name any symbol (`unknown_symbol` is a rejection); others trade one.
            let known = o.status == OrderStatus::Rejected || self.index.contains_key(&r.symbol);
            ensure(known, &|| format!("order {} names an unknown symbol", o.id))?;
            let amount = |v: Decimal, max: Decimal| v > Decimal::ZERO && v <= max;
            ensure(amount(r.quantity, MAX_QUANTITY), &|| format!("order {} has quantity {}", o.id, r.quantity))?;
            let prices = [r.limit_price, r.stop_price, r.stop_loss, r.take_profit, o.avg_fill_price];
            let trims = r.trims.iter().all(|t| amount(t.price, MAX_PRICE) && amount(t.quantity, MAX_QUANTITY));
            ensure(prices.iter().flatten().all(|&p| amount(p, MAX_PRICE)) && trims, &|| {
                format!("order {} has a price out of range", o.id)
            })?;
            let filled = o.filled_quantity;
            let status_fits = !filled.is_sign_negative()
                && filled <= r.quantity
                && match o.status {
                    OrderStatus::Open | OrderStatus::Rejected => filled.is_zero(),
                    OrderStatus::PartiallyFilled => filled > Decimal::ZERO && filled < r.quantity,
                    OrderStatus::Filled => filled == r.quantity,
                    OrderStatus::Cancelled => true,
                };
            ensure(status_fits, &|| format!("order {} is {} with {filled} of {} filled", o.id, o.status, r.quantity))?;
            ensure(o.created_at <= o.updated_at && clock.is_none_or(|c| o.updated_at <= c), &|| {
                format!("order {} has times out of order", o.id)
            })?;
            if o.role == OrderRole::Manual {
                // An agent's order passed the request checks when it was placed (rejected ones too).
                r.validate().map_err(|e| plain(format!("order {}: {}", o.id, e.detail)))?;
            }
            if let Some(parent) = o.parent_id {
                ensure(parent < o.id && a.order(parent).is_some() && o.role.is_bracket_exit(), &|| {
                    format!("order {} has no entry {parent} before it", o.id)
                })?;
            }
        }
        let working: Vec<u64> = a.orders.iter().filter(|o| o.status.is_working()).map(|o| o.id).collect();
        ensure(a.working == working, &|| "the working list differs from the working orders".into())?;
        for (key, &id) in &a.client_ids {
            let matches = a.order(id).is_some_and(|o| o.request.client_order_id.as_deref() == Some(key.as_str()));
            ensure(matches, &|| format!("client_order_id '{key}' points at no order of its own (order {id})"))?;
        }
        // The account must be the one its fills book, from the start or from the last reset.
        let start = a.record_start.map_or(0, |r| r.fill_index);
        ensure(start <= a.fills.len(), &|| format!("the track record starts at fill {start} of {}", a.fills.len()))?;
        ensure(a.account.starting_cash == self.config.starting_cash, &|| {
            "starting cash differs from the rules".into()
        })?;
        let mut booked = Account::new(self.config.starting_cash, self.symbols.len());
        for (k, f) in a.fills.iter().enumerate() {
            ensure(fill_ids.insert(f.id), &|| format!("fill id {} is used twice", f.id))?;
            let of_order = a.order(f.order_id).is_some_and(|o| {
                o.symbol() == f.symbol && o.request.side == f.side && o.role == f.role && o.created_at <= f.ts
            });
            ensure(of_order, &|| format!("fill {} names no order of its symbol, side and role", f.id))?;
            // What a fill records besides its quantity and price follows from them.
            let derived = f.quantity.checked_mul(f.fill_price) == Some(f.total_value)
                && f.commission == self.config.costs.commission.commission(f.quantity, f.fill_price)
                && f.slippage_bps == bps_between(f.reference_price, f.fill_price, f.side.is_buying());
            ensure(derived, &|| {
                format!("fill {} records a value, commission or slippage its price does not give", f.id)
            })?;
            ensure(clock.is_some_and(|c| f.ts <= c), &|| format!("fill {} is after the clock", f.id))?;
            let sym = self.index.get(&f.symbol).copied();
            let valid = sym.is_some()
                && f.quantity > Decimal::ZERO
                && f.quantity <= MAX_QUANTITY
                && f.fill_price > Decimal::ZERO
                && f.fill_price <= MAX_PRICE
                && !f.commission.is_sign_negative();
            ensure(valid, &|| format!("fill {} is out of range", f.id))?;
            if k >= start {
                let sym = sym.unwrap_or_default();
                let pnl = booked
                    .apply_fill(sym, f.side, f.quantity, f.fill_price, f.commission)
                    .map_err(|e| plain(format!("fill {}: {}", f.id, e.detail)))?;
                ensure(pnl == f.realized_pnl, &|| format!("fill {} records a PnL its booking does not give", f.id))?;
            }
        }
        ensure(booked == a.account, &|| "cash or positions differ from what the fills book".into())?;
        // Equity curve: one point per timestamp, ascending, up to the clock; one from the first bar.
        let curve = &a.equity_curve;
        ensure(curve.windows(2).all(|w| w[0].ts < w[1].ts), &|| "equity points are not ascending".into())?;
        ensure(curve.last().is_none_or(|p| clock.is_some_and(|c| p.ts <= c)), &|| "equity after the clock".into())?;
        ensure(clock.is_none() || !curve.is_empty(), &|| "no equity point after bars arrived".into())?;
        ensure(curve.iter().all(|p| !p.gross_exposure.is_sign_negative()), &|| "negative gross exposure".into())?;
        if let Some(r) = a.record_start {
            ensure(r.curve_index <= curve.len(), &|| {
                format!("the track record starts at point {} of {}", r.curve_index, curve.len())
            })?;
            ensure(r.cash == a.account.starting_cash, &|| "the track record starts with other cash".into())?;
            ensure(clock.is_some_and(|c| r.ts <= c) && curve.get(r.curve_index).is_none_or(|p| p.ts >= r.ts), &|| {
                "the track record starts after the clock or after its first point".into()
            })?;
        }
        ensure((a.status == AgentStatus::Liquidated) == a.liquidated_at.is_some(), &|| {
            "liquidation time and status differ".into()
        })?;
        ensure(a.status != AgentStatus::MarginCall || a.margin_call_ts.is_some(), &|| {
            "a margin call without its time".into()
        })?;
        Ok(())
    }
}
