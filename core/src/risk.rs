//! Per-agent risk profiles and the simulated-clock rate limiter that enforces their rate limits.

use std::collections::VecDeque;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result, err};
use crate::time::MS_PER_MINUTE;

/// Limits checked before an order is accepted. `None` means no limit. Field names follow the
/// agent-management API (`max_position_size_pct`, `daily_loss_limit_pct`, `max_open_orders`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskProfile {
    /// Largest position in one symbol, as % of equity, after the order (1–100).
    #[serde(default, deserialize_with = "crate::num::exact::option")]
    pub max_position_size_pct: Option<Decimal>,
    /// Loss since the session began, as % of starting cash, that blocks new risk until the next
    /// session (1–100). Orders that only reduce positions are still accepted.
    #[serde(default, deserialize_with = "crate::num::exact::option")]
    pub daily_loss_limit_pct: Option<Decimal>,
    /// Most working orders at once (1–200), bracket exits included.
    pub max_open_orders: Option<u32>,
    /// Largest gross exposure / equity; the scenario's `leverage_cap` applies as well.
    #[serde(default, deserialize_with = "crate::num::exact::option")]
    pub max_leverage: Option<Decimal>,
    /// Whether this agent may short (the scenario must allow it too).
    pub allow_short: bool,
    /// Symbols this agent may trade, a subset of the scenario's universe; `None` = all.
    pub universe: Option<Vec<String>>,
    /// Orders per minute of simulated time (the hosted default is 20).
    pub max_orders_per_minute: Option<u32>,
    /// Requests (observations, orders, cancels) per minute of simulated time (hosted: 120).
    pub max_requests_per_minute: Option<u32>,
}

impl Default for RiskProfile {
    fn default() -> Self {
        RiskProfile {
            max_position_size_pct: None,
            daily_loss_limit_pct: None,
            max_open_orders: None,
            max_leverage: None,
            allow_short: true,
            universe: None,
            max_orders_per_minute: None,
            max_requests_per_minute: None,
        }
    }
}

impl RiskProfile {
    /// The hosted API's rate limits (20 orders and 120 requests per minute), nothing else.
    pub fn hosted() -> Self {
        RiskProfile { max_orders_per_minute: Some(20), max_requests_per_minute: Some(120), ..Self::default() }
    }

    /// Checks every value against its documented range.
    pub fn validate(&self) -> Result<()> {
        let pct = |name: &str, v: Option<Decimal>| -> Result<()> {
            match v {
                Some(v) if v <= Decimal::ZERO || v > Decimal::ONE_HUNDRED => {
                    err(ErrorKind::InvalidRiskProfile, format!("`{name}` must be in (0, 100], got {v}"))
                }
                _ => Ok(()),
            }
        };
        pct("max_position_size_pct", self.max_position_size_pct)?;
        pct("daily_loss_limit_pct", self.daily_loss_limit_pct)?;
        if let Some(n) = self.max_open_orders
            && !(1..=200).contains(&n)
        {
            return err(ErrorKind::InvalidRiskProfile, format!("`max_open_orders` must be in 1..=200, got {n}"));
        }
        if let Some(l) = self.max_leverage
            && (l <= Decimal::ZERO || l > Decimal::ONE_THOUSAND)
        {
            return err(ErrorKind::InvalidRiskProfile, format!("`max_leverage` must be in (0, 1000], got {l}"));
        }
        for (name, v) in [
            ("max_orders_per_minute", self.max_orders_per_minute),
            ("max_requests_per_minute", self.max_requests_per_minute),
        ] {
            if v == Some(0) {
                return err(ErrorKind::InvalidRiskProfile, format!("`{name}` must be at least 1"));
            }
        }
        if let Some(u) = &self.universe
            && u.is_empty()
        {
            return err(ErrorKind::InvalidRiskProfile, "`universe` must name at least one symbol (or be omitted)");
        }
        Ok(())
    }
}

/// Counts events in the trailing minute of simulated time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateWindow {
    times: VecDeque<i64>,
}

impl RateWindow {
    /// Records an event at `now` if fewer than `limit` happened in the minute up to `now`;
    /// returns whether it was allowed. With no limit nothing is stored.
    pub fn admit(&mut self, now: i64, limit: Option<u32>) -> bool {
        let Some(limit) = limit else { return true };
        while self.times.front().is_some_and(|&t| t <= now - MS_PER_MINUTE) {
            self.times.pop_front();
        }
        if self.times.len() >= limit as usize {
            return false;
        }
        self.times.push_back(now);
        true
    }

    /// Events in the minute up to `now`.
    pub fn count(&self, now: i64) -> usize {
        self.times.iter().filter(|&&t| t > now - MS_PER_MINUTE).count()
    }

    /// Milliseconds from `now` until the oldest event in the window leaves it (0 when empty): how
    /// long a refused caller waits before the next attempt can be admitted.
    pub fn retry_after_ms(&self, now: i64) -> i64 {
        self.times.front().map_or(0, |&t| (t + MS_PER_MINUTE - now).max(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn window_slides_with_the_simulated_clock() {
        let mut w = RateWindow::default();
        assert!(w.admit(0, Some(2)));
        assert!(w.admit(10_000, Some(2)));
        assert!(!w.admit(59_999, Some(2)));
        assert!(w.admit(60_000, Some(2)));
        assert_eq!(w.retry_after_ms(60_000), 10_000, "the event at 10 s leaves the window at 70 s");
        assert_eq!((w.count(60_000), w.count(69_999), w.count(70_000)), (2, 2, 1));
        assert!(w.admit(1_000_000, None));
    }

    #[test]
    fn ranges_are_checked() {
        let p = RiskProfile { max_position_size_pct: Some(dec!(120)), ..RiskProfile::default() };
        assert_eq!(p.validate().unwrap_err().kind, ErrorKind::InvalidRiskProfile);
        let p = RiskProfile { max_open_orders: Some(0), ..RiskProfile::default() };
        assert!(p.validate().unwrap_err().detail.contains("max_open_orders"));
        RiskProfile::hosted().validate().unwrap();
    }
}
