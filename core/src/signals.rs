//! Signal backtests: entry and exit flags per bar turned into orders by the engine itself, so a
//! parameter sweep never calls back into the host language per bar. The orders go through the
//! same checks, matching and booking as any agent's: a signal run is an ordinary run.

use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::engine::AgentId;
use crate::error::{ErrorKind, Result, err};
use crate::interrupt::Interrupt;
use crate::order::{OrderRequest, Side};
use crate::risk::RiskProfile;
use crate::run::{Run, RunOptions};
use crate::scenario::Scenario;

/// How large each entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum SignalSize {
    /// A fixed number of units.
    Units(Decimal),
    /// This percent of equity at the decision bar's close, in whole units (at least one).
    EquityPct(Decimal),
}

/// What to trade on which bars. Flags are indexed by the symbol's own bars (`flags[i]` is decided
/// at the close of its `i`-th bar and acts at the next one).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Signals {
    /// Open a long when flat; one flag per bar, always given.
    pub entries: Vec<bool>,
    /// Close the long; one flag per bar, always given.
    pub exits: Vec<bool>,
    /// Open a short when flat (needs shorting enabled); empty when not given.
    pub short_entries: Vec<bool>,
    /// Close the short; empty when not given.
    pub short_exits: Vec<bool>,
}

/// Runs `signals` on `symbol` of `scenario` for one agent and returns the finished run.
///
/// At each bar, in this order: an exit flag closes the matching position; then, when flat, an
/// entry flag opens one (a long entry wins over a short entry). A bar flagged both to enter and
/// to exit the same side does nothing for that side. All orders are market orders filling at the
/// next bar's open with the scenario's costs, exactly as if an agent had placed them.
pub fn backtest_signals(
    scenario: Arc<Scenario>,
    symbol: &str,
    signals: &Signals,
    size: SignalSize,
    options: RunOptions,
) -> Result<(Run, AgentId)> {
    backtest_signals_interruptible(scenario, symbol, signals, size, options, None)
}

/// [`backtest_signals`] that the host can stop between bars (see [`Run::set_interrupt`]): the
/// check's error is returned and the run is dropped.
pub fn backtest_signals_interruptible(
    scenario: Arc<Scenario>,
    symbol: &str,
    signals: &Signals,
    size: SignalSize,
    options: RunOptions,
    interrupt: Option<Interrupt>,
) -> Result<(Run, AgentId)> {
    let Some(series) = scenario.config().universe.iter().position(|s| s == symbol) else {
        return err(
            ErrorKind::UnknownSymbol,
            format!("symbol '{symbol}' is not in the universe: {}", scenario.config().universe.join(", ")),
        );
    };
    let bars = scenario.series()[series].bars.len();
    // Entries and exits are always given (no flags at all is a mistake, not "never"); the short
    // flags may be left out (empty).
    for (name, flags, required) in [
        ("entries", &signals.entries, true),
        ("exits", &signals.exits, true),
        ("short_entries", &signals.short_entries, false),
        ("short_exits", &signals.short_exits, false),
    ] {
        if (required || !flags.is_empty()) && flags.len() != bars {
            return err(
                ErrorKind::InvalidArgument,
                format!("`{name}` has {} flags for {bars} bars of {symbol}: give one flag per bar", flags.len()),
            );
        }
    }
    match size {
        SignalSize::Units(q) if q <= Decimal::ZERO => {
            return err(ErrorKind::InvalidQuantity, format!("signal size must be positive, got {q}"));
        }
        SignalSize::EquityPct(p) if p <= Decimal::ZERO || p > Decimal::ONE_HUNDRED * Decimal::ONE_THOUSAND => {
            return err(ErrorKind::InvalidArgument, format!("equity percent must be positive, got {p}"));
        }
        _ => {}
    }
    let flag = |v: &Vec<bool>, i: usize| v.get(i).copied().unwrap_or(false);
    let mut run = Run::with_options(scenario, options)?;
    run.set_interrupt(interrupt);
    let agent = run.add_agent("signals", RiskProfile::default())?;
    // Each flag places at most one order, and each order fills at most once.
    let flagged = [&signals.entries, &signals.exits, &signals.short_entries, &signals.short_exits]
        .iter()
        .map(|v| v.iter().filter(|&&f| f).count())
        .sum();
    run.reserve_orders(agent, flagged)?;
    let mut last_decided = None;
    while !run.is_done() {
        if let Some(i) = run.series_cursor(series)
            && last_decided != Some(i)
        {
            last_decided = Some(i);
            let (enter_long, exit_long) = (flag(&signals.entries, i), flag(&signals.exits, i));
            let (enter_short, exit_short) = (flag(&signals.short_entries, i), flag(&signals.short_exits, i));
            if !(enter_long || exit_long || enter_short || exit_short) {
                run.advance(1)?;
                continue;
            }
            let held = run.engine().account(agent)?.positions[series].quantity;
            let mut flat = held.is_zero();
            if held > Decimal::ZERO && exit_long && !enter_long {
                place(&mut run, agent, symbol, Side::Sell, held)?;
                flat = true;
            } else if held < Decimal::ZERO && exit_short && !enter_short {
                place(&mut run, agent, symbol, Side::Cover, -held)?;
                flat = true;
            }
            let open = if enter_long && !exit_long {
                Some(Side::Buy)
            } else if enter_short && !exit_short {
                Some(Side::Short)
            } else {
                None
            };
            if flat && let Some(side) = open {
                let quantity = match size {
                    SignalSize::Units(q) => q,
                    SignalSize::EquityPct(p) => {
                        let close = run.scenario().series()[series].bars[i].close;
                        let equity = run.engine().equity_curve(agent)?.last().map_or(Decimal::ZERO, |e| e.equity);
                        (equity * p / Decimal::ONE_HUNDRED / close).floor().max(Decimal::ONE)
                    }
                };
                place(&mut run, agent, symbol, side, quantity)?;
            }
        }
        run.advance(1)?;
    }
    Ok((run, agent))
}

/// Places a signal's order; a refusal (buying power after a loss, ...) skips the signal, as an
/// agent would, and stays in the order history with its reason.
fn place(run: &mut Run, agent: AgentId, symbol: &str, side: Side, quantity: Decimal) -> Result<()> {
    match run.place(agent, OrderRequest::market(symbol, side, quantity)) {
        Ok(_) => Ok(()),
        Err(e) if matches!(e.family(), crate::ErrorFamily::OrderRejected | crate::ErrorFamily::RiskLimitExceeded) => {
            Ok(())
        }
        Err(e) => Err(e),
    }
}
