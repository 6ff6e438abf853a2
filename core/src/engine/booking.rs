//! Booking executions into an agent's account: fill-time checks, bracket exits that appear when an
//! entry fills, one-cancels-other, exits kept no larger than the position, and forced liquidation.

use rust_decimal::Decimal;

use super::{Agent, AgentStatus, Engine, saturating_mul};
use crate::account::Fill;
use crate::bar::Bar;
use crate::matching::{Booked, Execution, OrderBook, WorkingOrder};
use crate::order::{EndReason, Order, OrderRequest, OrderRole, OrderStatus, OrderType, Side, TimeInForce};

/// Money as `$1234.50` (two decimals, half away from zero; negatives as `-$12.00`).
pub(crate) fn money(v: Decimal) -> String {
    let r = v.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    if r.is_sign_negative() && !r.is_zero() { format!("-${:.2}", r.abs()) } else { format!("${:.2}", r.abs()) }
}

/// How an entry fill resizes one of its exits.
#[derive(Clone, Copy)]
enum ExitSize {
    /// Add this many units (stop-loss, take-profit).
    Grow(Decimal),
    /// Make the exit this large in all (a trim's share of what the entry filled).
    Total(Decimal),
}

/// One agent's orders for one symbol during one bar, as the matching model sees them.
pub(super) struct AgentBook<'a> {
    engine: &'a mut Engine,
    k: usize,
    sym: usize,
    ts: i64,
}

impl<'a> AgentBook<'a> {
    pub(super) fn new(engine: &'a mut Engine, k: usize, sym: usize, ts: i64) -> Self {
        AgentBook { engine, k, sym, ts }
    }

    fn agent(&mut self) -> &mut Agent {
        &mut self.engine.agents[self.k]
    }

    fn refuse(&mut self, id: u64, code: &str, detail: String) -> Booked {
        let ts = self.ts;
        self.agent().end_order(id, OrderStatus::Cancelled, EndReason::new(code, detail), ts);
        Booked { ended: vec![id], ..Booked::default() }
    }
}

fn working_view(o: &Order) -> WorkingOrder {
    WorkingOrder {
        id: o.id,
        buying: o.request.side.is_buying(),
        order_type: o.request.order_type,
        limit_price: o.request.limit_price,
        stop_price: o.request.stop_price,
        remaining: o.remaining(),
        time_in_force: o.request.time_in_force,
        whole_units: o.request.quantity.fract().is_zero(),
        triggered: o.triggered,
    }
}

impl OrderBook for AgentBook<'_> {
    fn eligible(&self) -> Vec<WorkingOrder> {
        let a = &self.engine.agents[self.k];
        a.working
            .iter()
            .filter(|&&o| self.engine.is_eligible(self.k, o, self.sym, self.ts))
            .map(|&o| working_view(a.order(o).expect("working orders exist")))
            .collect()
    }

    fn bias(&self) -> i32 {
        let a = &self.engine.agents[self.k];
        let held = a.account.positions[self.sym].quantity;
        if !held.is_zero() {
            return if held.is_sign_positive() { 1 } else { -1 };
        }
        a.working
            .iter()
            .filter(|&&o| self.engine.is_eligible(self.k, o, self.sym, self.ts))
            .filter_map(|&o| a.order(o))
            .find(|o| o.request.side.opens())
            .map_or(0, |o| if o.request.side == Side::Buy { 1 } else { -1 })
    }

    fn mark_triggered(&mut self, order_id: u64) {
        self.agent().order_mut(order_id).triggered = true;
    }

    fn kill(&mut self, order_id: u64) {
        self.refuse(order_id, "fok_not_filled", "fill-or-kill order could not fill completely on its first bar".into());
    }

    fn execute(&mut self, ex: Execution) -> Booked {
        let (sym, ts) = (self.sym, self.ts);
        let order = self.agent().order(ex.order_id).expect("executions name working orders");
        let (side, role, parent_id) = (order.request.side, order.role, order.parent_id);
        // The entry of a bracket as it was before this fill, for its exits; no other order is
        // copied on the fill path.
        let entry = (role == OrderRole::Manual && order.request.has_exits()).then(|| order.clone());
        let held = self.agent().account.positions[sym].quantity;
        let mut quantity = ex.quantity;
        // Matching only executes orders on the symbol of the bar.
        let symbol = &self.engine.symbols[sym];
        match side {
            Side::Sell | Side::Cover => {
                let owned = if side == Side::Sell { held.max(Decimal::ZERO) } else { (-held).max(Decimal::ZERO) };
                if quantity > owned {
                    if role == OrderRole::Manual {
                        let what = if side == Side::Sell { "long" } else { "short" };
                        return self.refuse(
                            ex.order_id,
                            "insufficient_position",
                            format!("{side} {quantity} {symbol} exceeds the {what} position of {owned} at fill time"),
                        );
                    }
                    // Exits only ever reduce: they close what is left of the position.
                    quantity = owned;
                }
                if quantity.is_zero() {
                    return self.refuse(ex.order_id, "position_closed", format!("no {symbol} position left to close"));
                }
            }
            Side::Buy if held < Decimal::ZERO => {
                return self.refuse(ex.order_id, "position_side_conflict", format!("cannot buy {symbol} while short"));
            }
            Side::Short if held > Decimal::ZERO => {
                return self.refuse(ex.order_id, "position_side_conflict", format!("cannot short {symbol} while long"));
            }
            Side::Buy | Side::Short => {}
        }
        let commission = self.engine.config.costs.commission.commission(quantity, ex.price);
        if side.opens() {
            let a = &self.engine.agents[self.k];
            let (net, gross) = a.account.valuation(&self.engine.marks);
            let have = saturating_mul(self.engine.config.leverage_cap, a.account.cash + net).saturating_sub(gross);
            let need = quantity * ex.price + commission;
            if need > have {
                return self.refuse(
                    ex.order_id,
                    "insufficient_buying_power",
                    format!(
                        "insufficient buying power at fill time: need {}, have {}",
                        money(need),
                        money(have.max(Decimal::ZERO))
                    ),
                );
            }
        }
        let symbol = symbol.clone();
        let realized_pnl = match self.agent().account.apply_fill(sym, side, quantity, ex.price, commission) {
            Ok(pnl) => pnl,
            Err(e) => return self.refuse(ex.order_id, e.code(), e.detail),
        };
        let fill_id = self.engine.next_fill_id;
        self.engine.next_fill_id += 1;
        let bar_index = self.engine.bar_index;
        let a = self.agent();
        let reasoning = a.order(ex.order_id).and_then(|o| o.request.reasoning.clone());
        a.fills.push(Fill {
            id: fill_id,
            order_id: ex.order_id,
            symbol,
            side,
            quantity,
            fill_price: ex.price,
            reference_price: ex.reference_price,
            slippage_bps: ex.slippage_bps,
            commission,
            total_value: quantity * ex.price,
            realized_pnl,
            ts,
            bar_index,
            role,
            reasoning,
        });
        let mut booked = Booked { quantity, ..Booked::default() };
        if quantity < ex.quantity && role.is_bracket_exit() {
            // The exit was larger than the position: it is done once the position is closed.
            let o = a.order_mut(ex.order_id);
            o.request.quantity = o.filled_quantity + quantity;
        }
        a.order_mut(ex.order_id).record_fill(quantity, ex.price, ts);
        if a.order(ex.order_id).expect("exists").status == OrderStatus::Filled {
            a.working.retain(|&w| w != ex.order_id);
            booked.ended.push(ex.order_id);
        }
        if let Some(entry) = entry {
            self.attach_exits(&entry, quantity, ex.price, &mut booked);
        }
        if !side.opens() {
            self.after_reduction(ex.order_id, role, parent_id, &mut booked);
        }
        booked
    }
}

impl AgentBook<'_> {
    /// Creates the bracket's exits on the entry's first fill and keeps them sized to what the entry
    /// has filled: the stop-loss and take-profit grow by each entry fill, and each trim is its
    /// quantity scaled by the filled share of the entry (whole units for a whole-unit entry).
    fn attach_exits(&mut self, entry: &Order, quantity: Decimal, price: Decimal, booked: &mut Booked) {
        let filled = entry.filled_quantity + quantity;
        let mut wanted: Vec<(OrderRole, OrderType, Decimal, ExitSize)> = Vec::new();
        // Levels given as fractions are set from the first fill's price (`price` then) and kept
        // on the entry's request, as if it had carried them.
        let (stop_loss, take_profit) = if entry.filled_quantity.is_zero() {
            let levels = entry.request.exit_levels(price);
            let stored = self.agent().order_mut(entry.id);
            (stored.request.stop_loss, stored.request.take_profit) = levels;
            levels
        } else {
            (entry.request.stop_loss, entry.request.take_profit)
        };
        if let Some(p) = stop_loss {
            wanted.push((OrderRole::StopLoss, OrderType::Stop, p, ExitSize::Grow(quantity)));
        }
        if let Some(p) = take_profit {
            wanted.push((OrderRole::TakeProfit, OrderType::Limit, p, ExitSize::Grow(quantity)));
        }
        for t in &entry.request.trims {
            // t.quantity × filled reaches 10^30 for orders of 10^15: then the share is taken first.
            let mut share = match t.quantity.checked_mul(filled) {
                Some(product) => product / entry.request.quantity,
                None => t.quantity / entry.request.quantity * filled,
            };
            share = if entry.request.quantity.fract().is_zero() {
                share.floor()
            } else {
                share.round_dp_with_strategy(8, rust_decimal::RoundingStrategy::ToZero)
            };
            wanted.push((OrderRole::Trim { level: t.level }, OrderType::Limit, t.price, ExitSize::Total(share)));
        }
        for (role, order_type, price, size) in wanted {
            let a = self.agent();
            let existing = a.orders.iter().rev().find(|o| o.parent_id == Some(entry.id) && o.role == role);
            let qty = match (existing, size) {
                (Some(o), ExitSize::Grow(q)) if o.status.is_working() => {
                    let id = o.id;
                    let o = a.order_mut(id);
                    o.request.quantity += q;
                    booked.resized.push((id, o.remaining()));
                    continue;
                }
                (Some(o), ExitSize::Total(total)) => {
                    // A trim that already ended (filled, or cancelled with its position) stays ended.
                    if o.status.is_working() && total > o.request.quantity {
                        let id = o.id;
                        let o = a.order_mut(id);
                        o.request.quantity = total;
                        booked.resized.push((id, o.remaining()));
                    }
                    continue;
                }
                (_, ExitSize::Grow(q)) | (None, ExitSize::Total(q)) => q,
            };
            if qty.is_zero() {
                continue;
            }
            let mut request = OrderRequest::market(&entry.request.symbol, entry.request.side.closing(), qty);
            request.order_type = order_type;
            request.time_in_force = TimeInForce::Gtc;
            request.asset_type = entry.request.asset_type;
            if order_type == OrderType::Stop {
                request.stop_price = Some(price);
            } else {
                request.limit_price = Some(price);
            }
            let view = self.engine.add_engine_order(self.k, request, role, Some(entry.id), self.ts);
            booked.activated.push(view);
        }
    }

    /// After a position shrank: a filled stop-loss or take-profit cancels its siblings and the rest
    /// of its entry, and every bracket exit of the symbol is cut to the position that is left
    /// (cancelled at zero).
    fn after_reduction(&mut self, order_id: u64, role: OrderRole, parent_id: Option<u64>, booked: &mut Booked) {
        let (sym, ts) = (self.sym, self.ts);
        let engine = &mut *self.engine;
        let (symbol, a) = (&engine.symbols[sym], &mut engine.agents[self.k]);
        let filled = a.order(order_id).is_some_and(|o| o.status == OrderStatus::Filled);
        let oco = filled && matches!(role, OrderRole::StopLoss | OrderRole::TakeProfit);
        let left = a.account.positions[sym].quantity.abs();
        if oco
            && let Some(parent) = parent_id
            && a.order(parent).is_some_and(|p| p.status.is_working())
        {
            // The bracket is over: its entry must not reopen the position it just closed.
            let detail = format!("order {order_id} closed the bracket; the entry's unfilled rest is cancelled");
            a.end_order(parent, OrderStatus::Cancelled, EndReason::new("bracket_closed", detail), ts);
            booked.ended.push(parent);
        }
        let exits: Vec<u64> = a
            .working
            .iter()
            .copied()
            .filter(|&o| a.order(o).is_some_and(|x| x.role.is_bracket_exit() && x.request.symbol == *symbol))
            .collect();
        for id in exits {
            let sibling = parent_id.is_some() && a.order(id).and_then(|o| o.parent_id) == parent_id;
            if oco && sibling {
                a.end_order(
                    id,
                    OrderStatus::Cancelled,
                    EndReason::new("oco_sibling_filled", format!("one-cancels-other: order {order_id} filled")),
                    ts,
                );
                booked.ended.push(id);
                continue;
            }
            let o = a.order_mut(id);
            if o.remaining() > left {
                if left.is_zero() {
                    a.end_order(
                        id,
                        OrderStatus::Cancelled,
                        EndReason::new("position_closed", "the position this exit protected is closed"),
                        ts,
                    );
                    booked.ended.push(id);
                } else {
                    o.request.quantity = o.filled_quantity + left;
                    booked.resized.push((id, left));
                }
            }
        }
    }
}

/// IOC and FOK orders get one bar: whatever of them still works after it is cancelled.
pub(super) fn end_immediate_orders(a: &mut Agent, eligible: &[u64], ts: i64) {
    for &id in eligible {
        let Some(o) = a.order(id) else { continue };
        if !o.status.is_working() {
            continue;
        }
        let reason = match o.request.time_in_force {
            TimeInForce::Ioc => {
                EndReason::new("ioc_remainder_cancelled", "immediate-or-cancel: the unfilled rest is cancelled")
            }
            TimeInForce::Fok => {
                EndReason::new("fok_not_filled", "fill-or-kill order could not fill completely on its first bar")
            }
            TimeInForce::Gtc | TimeInForce::Day => continue,
        };
        a.end_order(id, OrderStatus::Cancelled, reason, ts);
    }
}

impl Engine {
    /// Margin call: cancel every working order, then close each position that has a bar now at
    /// the open (slippage and commission apply; the participation cap does not).
    pub(super) fn liquidate<'b>(&mut self, k: usize, ts: i64, bars: impl Iterator<Item = (usize, &'b Bar)>) {
        let a = &mut self.agents[k];
        for id in std::mem::take(&mut a.working) {
            a.order_mut(id).end(
                OrderStatus::Cancelled,
                EndReason::new("liquidation", "cancelled by a margin call"),
                ts,
            );
        }
        for (sym, bar) in bars {
            let reasoning = "forced liquidation: equity fell below maintenance margin";
            self.close_position(k, sym, ts, OrderRole::Liquidation, reasoning, Some(bar));
        }
        let a = &mut self.agents[k];
        if a.account.open_positions() == 0 {
            a.status = AgentStatus::Liquidated;
            a.liquidated_at = Some(ts);
        }
    }

    /// Records an order the engine itself places (bracket exit, liquidation, reset) as working.
    pub(super) fn add_engine_order(
        &mut self,
        k: usize,
        request: OrderRequest,
        role: OrderRole,
        parent_id: Option<u64>,
        ts: i64,
    ) -> WorkingOrder {
        let id = self.next_order_id;
        self.next_order_id += 1;
        let order = Order {
            id,
            request,
            role,
            parent_id,
            status: OrderStatus::Open,
            filled_quantity: Decimal::ZERO,
            avg_fill_price: None,
            created_at: ts,
            updated_at: ts,
            end_reason: None,
            triggered: false,
        };
        let view = working_view(&order);
        let a = &mut self.agents[k];
        a.orders.push(order);
        a.working.push(id);
        view
    }

    /// Closes the agent's whole position in `sym` with an engine order: at `bar`'s open with
    /// slippage, or at the last mark when there is no bar (an administrative close).
    pub(super) fn close_position(
        &mut self,
        k: usize,
        sym: usize,
        ts: i64,
        role: OrderRole,
        reasoning: &str,
        bar: Option<&Bar>,
    ) {
        let held = self.agents[k].account.positions[sym].quantity;
        if held.is_zero() {
            return;
        }
        let side = if held > Decimal::ZERO { Side::Sell } else { Side::Cover };
        let quantity = held.abs();
        let request = OrderRequest::market(&self.symbols[sym], side, quantity).with_reasoning(reasoning);
        let view = self.add_engine_order(k, request, role, None, ts);
        let (reference, (price, slippage_bps)) = match bar {
            Some(bar) => (bar.open, self.matcher.price(bar, &view, bar.open, quantity)),
            None => (self.marks[sym], (self.marks[sym], Decimal::ZERO)),
        };
        let mut book = AgentBook::new(self, k, sym, ts);
        book.execute(Execution { order_id: view.id, quantity, reference_price: reference, price, slippage_bps });
    }
}
