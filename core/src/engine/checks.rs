//! Pre-trade checks: an order is validated, then checked against the account and the agent's
//! risk profile, in a fixed order; the first failing check names itself in the rejection.
//!
//! Order of checks: request validation → client order id reuse → order rate → liquidation state →
//! the engine's bound on working orders (`limits::MAX_WORKING_ORDERS`, before anything walks them)
//! → symbol (universe, tradable, agent universe) → market data → position side and size →
//! max open orders → daily loss limit → max position size → leverage cap → buying power.

use rust_decimal::Decimal;

use super::{Agent, AgentId, AgentStatus, Engine, money, saturating_mul};
use crate::error::{Error, ErrorKind, Result, err};
use crate::limits::{MAX_QUANTITY, MAX_WORKING_ORDERS, add, mul, sub};
use crate::order::{EndReason, Order, OrderRequest, OrderRole, OrderStatus, OrderType, Side};

/// Records the order (rejected ones too, with their reason) and returns its id, or the rejection.
pub(super) fn submit(engine: &mut Engine, id: AgentId, request: OrderRequest) -> Result<u64> {
    request.validate()?;
    let now = engine.clock.unwrap_or(0);
    let agent = engine.agent(id)?;
    if let Some(coid) = &request.client_order_id
        && let Some(&existing) = agent.client_ids.get(coid)
    {
        let order = agent.order(existing).expect("client ids point at orders");
        if order.request == request {
            // The first response again: a rejection is returned as the same error.
            return match (&order.status, &order.end_reason) {
                (OrderStatus::Rejected, Some(r)) => Err(Error::new(
                    ErrorKind::from_code(&r.code).unwrap_or(ErrorKind::InvalidArgument),
                    r.detail.clone(),
                )),
                _ => Ok(existing),
            };
        }
        return err(
            ErrorKind::IdempotencyConflict,
            format!("client_order_id '{coid}' was already used for a different order ({})", order.id),
        );
    }
    let limit = agent.profile.max_orders_per_minute;
    if !engine.agents[id.0].order_rate.admit(now, limit) {
        return err(
            ErrorKind::OrderRateLimited,
            format!("order rate limit: at most {} orders per simulated minute", limit.unwrap_or_default()),
        );
    }
    let verdict = check(engine, id, &request);
    let order_id = engine.next_order_id;
    engine.next_order_id += 1;
    let (status, end_reason) = match &verdict {
        Ok(()) => (OrderStatus::Open, None),
        Err(e) => (OrderStatus::Rejected, Some(EndReason::from(e))),
    };
    let order = Order {
        id: order_id,
        request,
        role: OrderRole::Manual,
        parent_id: None,
        status,
        filled_quantity: Decimal::ZERO,
        avg_fill_price: None,
        created_at: now,
        updated_at: now,
        end_reason,
        triggered: false,
    };
    let a = &mut engine.agents[id.0];
    if let Some(coid) = &order.request.client_order_id {
        a.client_ids.insert(coid.clone(), order_id);
    }
    a.orders.push(order);
    verdict.map(|()| {
        a.working.push(order_id);
        order_id
    })
}

fn check(engine: &Engine, id: AgentId, req: &OrderRequest) -> Result<()> {
    let a = &engine.agents[id.0];
    if a.status != AgentStatus::Active {
        return err(
            ErrorKind::AccountLiquidated,
            "the account is under a margin call or was liquidated and takes no new orders",
        );
    }
    // The engine's own bound, before any check walks the working orders.
    if a.working.len() >= MAX_WORKING_ORDERS {
        return err(
            ErrorKind::MaxOpenOrdersExceeded,
            format!("at most {MAX_WORKING_ORDERS} orders of one agent work at once, and {} do", a.working.len()),
        );
    }
    let sym = engine.require_symbol(&req.symbol)?;
    if sym >= engine.config.universe.len() {
        return err(
            ErrorKind::SymbolNotTradable,
            format!("'{}' can be observed but not traded (it is the benchmark)", req.symbol),
        );
    }
    if let Some(u) = &a.profile.universe
        && !u.contains(&req.symbol)
    {
        return err(
            ErrorKind::SymbolNotAllowed,
            format!("'{}' is outside this agent's universe: {}", req.symbol, u.join(", ")),
        );
    }
    if engine.last_bar_ts[sym].is_none() {
        return err(ErrorKind::NoMarketData, format!("no bar of '{}' has arrived yet", req.symbol));
    }
    check_position(engine, a, sym, req)?;
    if let Some(max) = a.profile.max_open_orders
        && a.working.len() as u64 + 1 > u64::from(max)
    {
        return err(
            ErrorKind::MaxOpenOrdersExceeded,
            format!("max_open_orders is {max} and {} orders are working", a.working.len()),
        );
    }
    if !req.side.opens() {
        return Ok(());
    }
    let (net, gross) = a.account.valuation(&engine.marks);
    let equity = add(a.account.cash, net, "equity")?;
    if let Some(pct) = a.profile.daily_loss_limit_pct {
        let lost = sub(a.day_start_equity, equity, "today's loss")?;
        let limit = pct / Decimal::ONE_HUNDRED * a.account.starting_cash;
        if lost >= limit {
            return err(
                ErrorKind::DailyLossLimitReached,
                format!(
                    "daily loss limit reached: lost {} this session, limit {} ({pct}% of {}); new risk is blocked until the next session",
                    money(lost),
                    money(limit),
                    money(a.account.starting_cash)
                ),
            );
        }
    }
    let price = reference_price(engine, sym, req);
    let notional = mul(req.quantity, price, "the order's notional")?;
    if let Some(pct) = a.profile.max_position_size_pct {
        let held = a.account.positions[sym].quantity.abs() + queued_opening(engine, a, sym)?;
        let after = add(mul(held, engine.marks[sym], "the position's value")?, notional, "the position's value")?;
        if equity <= Decimal::ZERO || after > pct / Decimal::ONE_HUNDRED * equity {
            // The share is only shown; beyond `Decimal`'s range it is said in words.
            let share = match after.checked_div(equity).and_then(|s| s.checked_mul(Decimal::ONE_HUNDRED)) {
                Some(s) if equity > Decimal::ZERO => format!("{}%", s.round_dp(2).normalize()),
                Some(_) => "0%".to_string(),
                None => "far more than 100%".to_string(),
            };
            return err(
                ErrorKind::MaxPositionSizeExceeded,
                format!(
                    "{} position would be {} ({share} of equity {}), above max_position_size_pct {pct}",
                    req.symbol,
                    money(after),
                    money(equity)
                ),
            );
        }
    }
    let committed = committed_exposure(engine, a, gross)?;
    if let Some(max) = a.profile.max_leverage {
        let after = add(committed, notional, "the gross exposure")?;
        if equity <= Decimal::ZERO || after > saturating_mul(max, equity) {
            return err(
                ErrorKind::LeverageCapExceeded,
                format!(
                    "gross exposure would be {} against equity {}, above the agent's max_leverage {max}",
                    money(after),
                    money(equity)
                ),
            );
        }
    }
    let need = add(notional, engine.config.costs.commission.commission(req.quantity, price), "the order's cost")?;
    // A bound saturated at `Decimal::MIN` refuses every order, as it should.
    let have = saturating_mul(engine.config.leverage_cap, equity).saturating_sub(committed);
    if need > have {
        return err(
            ErrorKind::InsufficientBuyingPower,
            format!("insufficient buying power: need {}, have {}", money(need), money(have.max(Decimal::ZERO))),
        );
    }
    Ok(())
}

/// Sells never exceed the long position (less sells already queued), covers the short one;
/// buying while short and shorting while long are refused, so every fill has one meaning.
fn check_position(engine: &Engine, a: &Agent, sym: usize, req: &OrderRequest) -> Result<()> {
    let held = a.account.positions[sym].quantity;
    let symbol = &req.symbol;
    match req.side {
        // A flip is two orders, queued in this order: cover (or sell) everything, then buy (or short).
        Side::Buy if held + queued_closing(a, Side::Cover, symbol)? < Decimal::ZERO => err(
            ErrorKind::PositionSideConflict,
            format!("cannot buy {symbol} while short {}: cover the short first", held.abs()),
        ),
        Side::Short if !engine.config.short_enabled || !a.profile.allow_short => err(
            ErrorKind::ShortingDisabled,
            if engine.config.short_enabled {
                "shorting is disabled in this agent's risk profile: set its `allow_short` (`allowShort` in TypeScript)"
            } else {
                "shorting is not enabled for this scenario: build it with the rule `short_enabled=True` (`shortEnabled: true` in TypeScript)"
            },
        ),
        Side::Short if held - queued_closing(a, Side::Sell, symbol)? > Decimal::ZERO => err(
            ErrorKind::PositionSideConflict,
            format!("cannot short {symbol} while long {held}: sell the long first"),
        ),
        Side::Sell | Side::Cover => {
            let owned = if req.side == Side::Sell { held.max(Decimal::ZERO) } else { (-held).max(Decimal::ZERO) };
            let queued = queued_closing(a, req.side, symbol)?;
            if req.quantity > owned - queued {
                let what = if req.side == Side::Sell { "long" } else { "short" };
                let extra = if queued.is_zero() { String::new() } else { format!(", {queued} already queued") };
                return err(
                    ErrorKind::InsufficientPosition,
                    format!("{} {} {symbol} exceeds the {what} position of {owned}{extra}", req.side, req.quantity),
                );
            }
            Ok(())
        }
        Side::Buy | Side::Short => {
            let after = held.abs() + queued_opening(engine, a, sym)? + req.quantity;
            if after > MAX_QUANTITY {
                return err(
                    ErrorKind::InvalidQuantity,
                    format!("the {symbol} position would be {after} units, above the maximum of {MAX_QUANTITY}"),
                );
            }
            Ok(())
        }
    }
}

/// Units the agent's own working `side` orders (sell or cover) in `symbol` will close.
fn queued_closing(a: &Agent, side: Side, symbol: &str) -> Result<Decimal> {
    let closing = working(a).filter(|o| o.role == OrderRole::Manual && o.request.side == side && o.symbol() == symbol);
    sum(closing.map(|o| Ok(o.remaining())), "the queued quantity")
}

fn working(a: &Agent) -> impl Iterator<Item = &Order> {
    a.working.iter().filter_map(|&o| a.order(o))
}

/// A checked sum: the error names what overflowed.
fn sum(mut values: impl Iterator<Item = Result<Decimal>>, what: &str) -> Result<Decimal> {
    values.try_fold(Decimal::ZERO, |acc, v| add(acc, v?, what))
}

/// The price an opening order is expected to pay: its limit, its stop, or the last close.
fn reference_price(engine: &Engine, sym: usize, req: &OrderRequest) -> Decimal {
    match req.order_type {
        OrderType::Limit | OrderType::StopLimit => req.limit_price.unwrap_or(engine.marks[sym]),
        OrderType::Stop => req.stop_price.unwrap_or(engine.marks[sym]),
        OrderType::Market => engine.marks[sym],
    }
}

fn queued_opening(engine: &Engine, a: &Agent, sym: usize) -> Result<Decimal> {
    let symbol = &engine.symbols[sym];
    let opening = working(a).filter(|o| o.request.side.opens() && o.symbol() == symbol);
    sum(opening.map(|o| Ok(o.remaining())), "the queued quantity")
}

/// Exposure the account is committed to: gross exposure, less what the agent's queued sells and
/// covers will close, plus the notional of working opening orders. A flip (close everything, then
/// open the other way on the same bar) is therefore judged on the position it leaves; the fill-time
/// check still refuses an opening order whose close did not happen.
fn committed_exposure(engine: &Engine, a: &Agent, gross: Decimal) -> Result<Decimal> {
    let closing = working(a).filter(|o| o.role == OrderRole::Manual && !o.request.side.opens());
    let freed = sum(
        closing.map(|o| mul(o.remaining(), engine.marks[engine.index[o.symbol()]], "the queued closes")),
        "the queued closes",
    )?;
    let left = sub(gross, freed, "the committed exposure")?.max(Decimal::ZERO);
    add(left, reserved_notional(engine, a)?, "the committed exposure")
}

/// Notional (plus commission) held back for working opening orders.
fn reserved_notional(engine: &Engine, a: &Agent) -> Result<Decimal> {
    let opening = working(a).filter(|o| o.request.side.opens());
    sum(
        opening.map(|o| {
            let sym = engine.index[o.symbol()];
            let price = reference_price(engine, sym, &o.request);
            let notional = mul(o.remaining(), price, "the reserved notional")?;
            add(notional, engine.config.costs.commission.commission(o.remaining(), price), "the reserved notional")
        }),
        "the reserved notional",
    )
}

impl Engine {
    pub(super) fn buying_power(&self, a: &Agent, equity: Decimal, gross: Decimal) -> Result<Decimal> {
        let committed = committed_exposure(self, a, gross)?;
        Ok(saturating_mul(self.config.leverage_cap, equity).saturating_sub(committed).max(Decimal::ZERO))
    }
}
