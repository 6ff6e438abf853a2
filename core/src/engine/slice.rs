//! The slice of bars of one timestamp: validation, session roll, matching at the opens, marking
//! to the closes, one equity point per agent and the margin check.

use rust_decimal::Decimal;

use super::{AgentId, AgentStatus, Engine, booking};
use crate::account::{EquityPoint, Fill};
use crate::bar::Bar;
use crate::error::{Error, ErrorKind, Result, err};
use crate::matching::MatchingModel;
use crate::order::{EndReason, OrderStatus, TimeInForce};
use crate::time::{format_rfc3339, in_session, session_of};

impl Engine {
    /// Processes one bar of one symbol (see [`Engine::push_slice`]).
    pub fn push_bar(&mut self, symbol: &str, bar: Bar) -> Result<Vec<(AgentId, Vec<Fill>)>> {
        let i = self.require_symbol(symbol)?;
        let before: Vec<usize> = self.agents.iter().map(|a| a.fills.len()).collect();
        self.push_slice(bar.ts, &[(i, bar)])?;
        Ok(self
            .agents
            .iter()
            .enumerate()
            .filter(|(k, a)| a.fills.len() > before[*k])
            .map(|(k, a)| (AgentId(k), a.fills[before[k]..].to_vec()))
            .collect())
    }

    pub(super) fn require_symbol(&self, symbol: &str) -> Result<usize> {
        self.symbol_index(symbol).ok_or_else(|| {
            Error::new(
                ErrorKind::UnknownSymbol,
                format!("symbol '{symbol}' is not in the universe: {}", self.symbols.join(", ")),
            )
        })
    }

    /// Processes the bars of time `ts` (at most one per symbol, by symbol index): rolls the
    /// session (expiring DAY orders, resetting the daily loss baseline), force-closes positions of
    /// agents under a margin call at the open, matches every other agent's orders placed before
    /// `ts`, marks to the closes, records an equity point per agent and checks margins.
    ///
    /// `ts` may equal the clock for symbols that have no bar at `ts` yet, so a feed can push the
    /// symbols of one timestamp one at a time; the equity point of `ts` is then updated, not added.
    /// A bar older than the clock, or a second bar of a symbol at a timestamp, is `out_of_order_bar`.
    pub fn push_slice(&mut self, ts: i64, bars: &[(usize, Bar)]) -> Result<()> {
        self.validate_slice(ts, bars)?;
        self.apply_slice(ts, bars.iter().map(|(i, b)| (*i, b)));
        Ok(())
    }

    /// [`Engine::push_slice`] for bars already validated (a [`crate::Scenario`]'s bars, on its
    /// timeline): the run's hot path skips re-checking every bar on every step.
    pub(crate) fn apply_slice<'b>(&mut self, ts: i64, bars: impl Iterator<Item = (usize, &'b Bar)> + Clone) {
        match self.clock {
            Some(clock) if clock < ts => self.bar_index += 1,
            _ => {} // the first bar time (index 0), or more symbols of the clock's
        }
        let offset = self.config.session_utc_offset_minutes;
        if !self.session.is_some_and(|s| in_session(ts, s, offset)) {
            let session = session_of(ts, offset);
            if self.session != Some(session) {
                self.roll_session(session, ts);
            }
        }
        // The open marks are seen only by matching and liquidation; with no agent to match or
        // liquidate they would be overwritten by the closes below unseen.
        let busy = self.agents.iter().any(|a| match a.status {
            AgentStatus::Active => !a.working.is_empty(),
            AgentStatus::MarginCall => true,
            AgentStatus::Liquidated => false,
        });
        if busy {
            self.match_slice(ts, bars.clone());
        }
        for (i, bar) in bars {
            self.marks[i] = bar.close;
            self.last_bar_ts[i] = Some(ts);
        }
        self.clock = Some(ts);
        let mm = self.config.maintenance_margin;
        for a in &mut self.agents {
            if a.liquidated_at.is_some_and(|at| at < ts) {
                continue; // a liquidated agent's record ends at its liquidation
            }
            let cash = a.account.cash;
            if a.account.open_positions() == 0 {
                record_point(&mut a.equity_curve, EquityPoint { ts, equity: cash, gross_exposure: Decimal::ZERO });
                continue;
            }
            let marked = a.account.marked(&self.marks);
            let (equity, gross) = (cash + marked.net, marked.gross);
            record_point(&mut a.equity_curve, EquityPoint { ts, equity, gross_exposure: gross });
            // Without a short and with cash >= 0, equity = cash + gross >= gross > mm × gross
            // (marks are positive bar prices, mm < 1 is validated): no margin call is possible,
            // and the check is skipped.
            let exposed = marked.short || cash.is_sign_negative();
            if a.status == AgentStatus::Active && exposed && equity < mm * gross {
                a.status = AgentStatus::MarginCall;
                a.margin_call_ts = Some(ts);
            }
        }
    }

    /// The slice's bars at their opens: each agent's working orders are matched against them, and
    /// agents under a margin call are liquidated.
    fn match_slice<'b>(&mut self, ts: i64, bars: impl Iterator<Item = (usize, &'b Bar)> + Clone) {
        for (i, bar) in bars.clone() {
            self.marks[i] = bar.open;
        }
        for k in 0..self.agents.len() {
            let a = &mut self.agents[k];
            if a.status == AgentStatus::MarginCall && a.margin_call_ts == Some(ts) {
                // More bars of the timestamp that raised the call: it is re-checked at the end.
                a.status = AgentStatus::Active;
            }
            match a.status {
                AgentStatus::Liquidated => {}
                AgentStatus::MarginCall => self.liquidate(k, ts, bars.clone()),
                AgentStatus::Active if !a.working.is_empty() => self.match_agent(k, ts, bars.clone()),
                AgentStatus::Active => {}
            }
        }
    }

    /// Reserves room for `points` more equity points per agent (a run knows its length).
    pub fn reserve_history(&mut self, points: usize) {
        for a in &mut self.agents {
            a.equity_curve.reserve(points);
        }
    }

    fn validate_slice(&self, ts: i64, bars: &[(usize, Bar)]) -> Result<()> {
        if let Some(clock) = self.clock
            && ts < clock
        {
            return err(
                ErrorKind::OutOfOrderBar,
                format!("bars at {} come before the clock at {}", format_rfc3339(ts), format_rfc3339(clock)),
            );
        }
        for (n, &(i, bar)) in bars.iter().enumerate() {
            let symbol = self
                .symbols
                .get(i)
                .ok_or_else(|| Error::new(ErrorKind::UnknownSymbol, format!("symbol index {i} is out of range")))?;
            if bar.ts != ts {
                return err(
                    ErrorKind::OutOfOrderBar,
                    format!("{symbol} bar at {} pushed in the slice of {}", format_rfc3339(bar.ts), format_rfc3339(ts)),
                );
            }
            if bars[..n].iter().any(|&(j, _)| j == i) || self.last_bar_ts[i].is_some_and(|last| last >= ts) {
                return err(
                    ErrorKind::OutOfOrderBar,
                    format!("{symbol} already has a bar at or after {}", format_rfc3339(ts)),
                );
            }
            bar.validate(symbol)?;
        }
        Ok(())
    }

    /// A DAY order expires at the roll after its session, unless it was placed after the session's
    /// last bar (at the clock): like an order entered after the close, it works the next session.
    fn roll_session(&mut self, session: i64, ts: i64) {
        let offset = self.config.session_utc_offset_minutes;
        let clock = self.clock.unwrap_or(i64::MIN);
        for a in &mut self.agents {
            let expired: Vec<u64> = a
                .working
                .iter()
                .copied()
                .filter(|&o| {
                    let order = a.order(o).expect("working orders exist");
                    order.request.time_in_force == TimeInForce::Day
                        && session_of(order.created_at, offset) < session
                        && order.created_at < clock
                })
                .collect();
            for o in expired {
                a.end_order(
                    o,
                    OrderStatus::Cancelled,
                    EndReason::new("day_order_expired", "DAY order expired at the end of its session"),
                    ts,
                );
            }
            a.day_start_equity = a.equity_curve.last().map_or(a.account.cash, |p| p.equity);
        }
        self.session = Some(session);
    }

    fn match_agent<'b>(&mut self, k: usize, ts: i64, bars: impl Iterator<Item = (usize, &'b Bar)>) {
        for (sym, bar) in bars {
            if !self.agents[k].working.iter().any(|&o| self.is_eligible(k, o, sym, ts)) {
                continue;
            }
            let matcher = self.matcher.clone();
            let eligible_before: Vec<u64> =
                self.agents[k].working.iter().copied().filter(|&o| self.is_eligible(k, o, sym, ts)).collect();
            {
                let mut book = booking::AgentBook::new(self, k, sym, ts);
                matcher.match_bar(bar, &mut book);
            }
            booking::end_immediate_orders(&mut self.agents[k], &eligible_before, ts);
            if self.agents[k].working.is_empty() {
                break;
            }
        }
    }

    pub(crate) fn is_eligible(&self, k: usize, order_id: u64, sym: usize, ts: i64) -> bool {
        let o = self.agents[k].order(order_id).expect("working orders exist");
        o.created_at < ts && o.symbol() == self.symbols[sym]
    }
}

/// Appends an equity point, or replaces the last one when more bars of the same timestamp arrive
/// (a feed pushing the symbols of one timestamp one at a time): one point per timestamp.
pub(super) fn record_point(curve: &mut Vec<EquityPoint>, point: EquityPoint) {
    match curve.last_mut() {
        Some(last) if last.ts == point.ts => *last = point,
        _ => curve.push(point),
    }
}
