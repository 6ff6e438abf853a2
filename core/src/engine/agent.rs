//! An agent inside the engine: its account, its orders (looked up by id), fills, equity curve and
//! risk state.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::AgentStatus;
use crate::account::{Account, EquityPoint, Fill};
use crate::order::{EndReason, Order, OrderStatus};
use crate::risk::{RateWindow, RiskProfile};

/// One agent: its account, orders, fills, equity curve and risk state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Agent {
    pub(crate) name: String,
    pub(crate) profile: RiskProfile,
    pub(crate) account: Account,
    /// Every order, ascending by id (ids only grow), so lookups are binary searches.
    pub(crate) orders: Vec<Order>,
    /// Ids of working orders, ascending.
    pub(crate) working: Vec<u64>,
    pub(crate) fills: Vec<Fill>,
    pub(crate) equity_curve: Vec<EquityPoint>,
    pub(crate) status: AgentStatus,
    /// Timestamp whose closes put the agent under a margin call; liquidation waits for a later one.
    pub(crate) margin_call_ts: Option<i64>,
    /// Timestamp of the liquidation; the equity curve ends there.
    pub(crate) liquidated_at: Option<i64>,
    /// Where the current track record starts: (equity point index, fill index, time, cash). Set by
    /// a reset, which starts a new record; `None` = since the agent joined.
    pub(crate) record_start: Option<RecordStart>,
    pub(crate) day_start_equity: Decimal,
    pub(crate) order_rate: RateWindow,
    pub(crate) request_rate: RateWindow,
    pub(crate) client_ids: BTreeMap<String, u64>,
}

impl Agent {
    /// Index of order `id` in `orders`. The orders looked up on every bar are the working ones,
    /// nearly always the latest: the tail is tried before a binary search over the whole history.
    fn order_index(&self, id: u64) -> Option<usize> {
        const TAIL: usize = 4;
        let n = self.orders.len();
        for i in (n.saturating_sub(TAIL)..n).rev() {
            match self.orders[i].id.cmp(&id) {
                std::cmp::Ordering::Equal => return Some(i),
                std::cmp::Ordering::Less => return None, // ids ascend: it is not further back
                std::cmp::Ordering::Greater => {}
            }
        }
        self.orders[..n.saturating_sub(TAIL)].binary_search_by_key(&id, |o| o.id).ok()
    }

    pub(crate) fn order(&self, id: u64) -> Option<&Order> {
        self.order_index(id).map(|i| &self.orders[i])
    }

    pub(crate) fn order_mut(&mut self, id: u64) -> &mut Order {
        let i = self.order_index(id).expect("the order exists");
        &mut self.orders[i]
    }

    /// Ends a working order and drops it from the working list.
    pub(crate) fn end_order(&mut self, id: u64, status: OrderStatus, reason: EndReason, ts: i64) {
        self.order_mut(id).end(status, reason, ts);
        self.working.retain(|&w| w != id);
    }
}

/// Where an agent's track record restarts after a reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RecordStart {
    pub(crate) curve_index: usize,
    pub(crate) fill_index: usize,
    pub(crate) ts: i64,
    pub(crate) cash: Decimal,
}
