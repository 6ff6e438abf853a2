//! Signal backtests: entry and exit flags per bar turned into orders by the engine itself, so a
//! parameter sweep never calls back into the host language per bar. The orders go through the
//! same checks, matching and booking as any agent's: a signal run is an ordinary run.

use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::engine::AgentId;
use crate::error::{ErrorKind, Result, err};
use crate::interrupt::Interrupt;
use crate::order::{OrderRequest, OrderRole, Side};
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

/// Exits every entry carries, as fractions of its entry price (vectorbt's `sl_stop`, `tp_stop` and
/// `sl_trail`). They are the engine's bracket orders: the entry's stop-loss (a stop order) and
/// take-profit (a limit order), one-cancels-other, sized to what filled, levelled from the entry's
/// first fill price (`price × (1 − sl_stop)` below a long, `× (1 + sl_stop)` above a short, the
/// take-profit the other way; rounded half-even to 8 decimals) and working from the bar after the
/// fill, so they fill by the engine's gap and intrabar rules as any bracket does. With `sl_trail`
/// the stop follows the best price: after each bar, a long's stop rises to that bar's high
/// × (1 − sl_stop) when that is higher (a short's falls to its low × (1 + sl_stop)), for the bars
/// after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalStops {
    /// Stop-loss distance, a fraction of the entry price in (0, 1).
    #[serde(default, deserialize_with = "crate::num::exact::option")]
    pub sl_stop: Option<Decimal>,
    /// Take-profit distance, a positive fraction of the entry price (below 1 for shorts).
    #[serde(default, deserialize_with = "crate::num::exact::option")]
    pub tp_stop: Option<Decimal>,
    /// The stop-loss trails the best price since the entry.
    #[serde(default)]
    pub sl_trail: bool,
}

impl SignalStops {
    fn check(&self, shorts: bool) -> Result<()> {
        if let Some(sl) = self.sl_stop
            && !(sl > Decimal::ZERO && sl < Decimal::ONE)
        {
            return err(ErrorKind::InvalidArgument, format!("sl_stop must be a fraction between 0 and 1, got {sl}"));
        }
        if let Some(tp) = self.tp_stop
            && tp <= Decimal::ZERO
        {
            return err(ErrorKind::InvalidArgument, format!("tp_stop must be a positive fraction, got {tp}"));
        }
        if let Some(tp) = self.tp_stop
            && shorts
            && tp >= Decimal::ONE
        {
            return err(ErrorKind::InvalidArgument, format!("tp_stop must be below 1 with short entries, got {tp}"));
        }
        if self.sl_trail && self.sl_stop.is_none() {
            return err(ErrorKind::InvalidArgument, "sl_trail needs sl_stop (the distance it trails at)");
        }
        Ok(())
    }
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
    /// Stop-loss and take-profit of every entry.
    pub stops: SignalStops,
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
    signals.stops.check(signals.short_entries.iter().any(|&f| f))?;
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
    // The latest entry and its stop-loss, when the stop trails.
    let mut trail = Trail::default();
    while !run.is_done() {
        // The bar just applied moves a trailing stop, for the bars after it.
        if let Some(sl) = signals.stops.sl_stop
            && trail.entry.is_some()
        {
            trail.after_bar(&mut run, agent, series, sl)?;
        }
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
                place(&mut run, agent, OrderRequest::market(symbol, Side::Sell, held))?;
                flat = true;
            } else if held < Decimal::ZERO && exit_short && !enter_short {
                place(&mut run, agent, OrderRequest::market(symbol, Side::Cover, -held))?;
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
                let mut request = OrderRequest::market(symbol, side, quantity);
                // The engine levels the bracket from the entry's first fill.
                request.stop_loss_fraction = signals.stops.sl_stop;
                request.take_profit_fraction = signals.stops.tp_stop;
                if let Some(id) = place(&mut run, agent, request)?
                    && signals.stops.sl_trail
                {
                    trail = Trail { entry: Some(id), stop: None };
                }
            }
        }
        run.advance(1)?;
    }
    Ok((run, agent))
}

/// A trailing stop: the latest entry's stop-loss, raised (a long's) after each bar to that bar's
/// high × (1 − `sl_stop`) when higher, lowered (a short's) to its low × (1 + `sl_stop`).
#[derive(Default)]
struct Trail {
    entry: Option<u64>,
    /// The stop-loss exit, once the entry filled.
    stop: Option<u64>,
}

impl Trail {
    fn after_bar(&mut self, run: &mut Run, agent: AgentId, series: usize, sl: Decimal) -> Result<()> {
        let Some(entry) = self.entry else { return Ok(()) };
        if self.stop.is_none() {
            let engine = run.engine();
            let order = engine.order(agent, entry)?;
            if order.filled_quantity.is_zero() {
                if !order.status.is_working() {
                    self.entry = None; // never filled: nothing to trail
                }
                return Ok(());
            }
            self.stop = engine
                .orders(agent)?
                .iter()
                .find(|o| o.parent_id == Some(entry) && o.role == OrderRole::StopLoss)
                .map(|o| o.id);
        }
        let Some(stop) = self.stop else { return Ok(()) };
        let exit = run.engine().order(agent, stop)?;
        let (Some(level), true) = (exit.request.stop_price, exit.status.is_working()) else {
            *self = Trail::default(); // the stop filled or was cancelled: the trade is over
            return Ok(());
        };
        let Some(i) = run.series_cursor(series) else { return Ok(()) };
        let bar = &run.scenario().series()[series].bars[i];
        let short = run.engine().order(agent, entry)?.request.side == Side::Short;
        let mut probe = OrderRequest::market("", if short { Side::Short } else { Side::Buy }, Decimal::ONE);
        probe.stop_loss_fraction = Some(sl);
        let (best, _) = probe.exit_levels(if short { bar.low } else { bar.high });
        if let Some(best) = best
            && (if short { best < level } else { best > level })
        {
            run.reprice_exit(agent, stop, best)?;
        }
        Ok(())
    }
}

/// Places a signal's order and returns its id; a refusal (buying power after a loss, ...) skips the
/// signal, as an agent would, and stays in the order history with its reason.
fn place(run: &mut Run, agent: AgentId, request: OrderRequest) -> Result<Option<u64>> {
    match run.place(agent, request) {
        Ok(id) => Ok(Some(id)),
        Err(e) if matches!(e.family(), crate::ErrorFamily::OrderRejected | crate::ErrorFamily::RiskLimitExceeded) => {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}
