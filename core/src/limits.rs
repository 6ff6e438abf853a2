//! Every size and value limit of the engine in one place, checked before anything is allocated.
//!
//! The value bounds keep every sum and product the engine forms inside `Decimal`'s range (about
//! 7.9 × 10^28): a position is worth at most `MAX_QUANTITY × MAX_PRICE` = 10^25, a portfolio of
//! `MAX_SYMBOLS` positions at most 10^28. The size bounds keep one request's memory and time
//! bounded, so a hostile argument (`synthetic(1, 10^9)`, a market view of the same symbol ten
//! thousand times) is refused at once instead of exhausting the machine. `docs/LIMITS.md` lists
//! them for users.

use rust_decimal::Decimal;

use crate::error::{Error, ErrorKind, Result, err};

/// Largest order quantity and position (10^15 units).
pub const MAX_QUANTITY: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0);
/// Largest price of an order or a bar (10^10).
pub const MAX_PRICE: Decimal = Decimal::from_parts(1_410_065_408, 2, 0, false, 0);
/// Most decimal places of a quantity, a price or an amount of money given by a user.
pub const MAX_DECIMALS: u32 = 8;
/// Largest starting cash (10^15).
pub const MAX_STARTING_CASH: Decimal = MAX_QUANTITY;
/// Largest leverage cap (gross exposure / equity).
pub const MAX_LEVERAGE: Decimal = Decimal::ONE_THOUSAND;
/// Largest cash balance an account may reach (10^27): with the position bounds it keeps equity,
/// its changes and its multiples inside `Decimal`'s range. A fill past it is refused.
pub const MAX_CASH: Decimal = Decimal::from_parts(3_892_314_112, 2_681_241_660, 54_210_108, false, 0);

/// Most symbols (tradable and observed) of a scenario or engine.
pub const MAX_SYMBOLS: usize = 1000;
/// Most bars of a scenario, all symbols together (about 0.9 GB of bars).
pub const MAX_BARS: usize = 10_000_000;
/// Columns (parameter combinations) of one sweep: each is a whole run.
pub const MAX_SWEEP_COLUMNS: usize = 100_000;
/// Most agents in one run or engine.
pub const MAX_AGENTS: usize = 100;
/// Most working orders of one agent at once (bracket exits included); beyond it orders are
/// refused with `max_open_orders_exceeded`, as a risk profile's own `max_open_orders` would.
pub const MAX_WORKING_ORDERS: usize = 1000;
/// Most trim levels on one order.
pub const MAX_TRIMS: usize = 20;
/// Most bars one observation returns per symbol.
pub const MAX_LOOKBACK: usize = 1000;

/// Longest `reasoning` text of an order, in characters.
pub const MAX_REASONING_CHARS: usize = 4096;
/// Longest `client_order_id`, in characters.
pub const MAX_CLIENT_ORDER_ID_CHARS: usize = 128;
/// Longest idempotency key, in characters.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;
/// Longest agent name, symbol, slug or scenario name, in characters.
pub const MAX_NAME_CHARS: usize = 128;
/// Longest scenario description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 4096;

/// Largest shift of sessions from UTC, in minutes (±23:59, the range of a UTC offset).
pub const MAX_SESSION_OFFSET_MINUTES: i32 = 23 * 60 + 59;

/// A text of 1 to `max` characters (characters, not bytes: `é` is one); `what` names it.
pub fn check_text(what: &str, text: &str, max: usize) -> Result<()> {
    // `chars().nth` stops at `max + 1`: an enormous text is not counted to its end.
    if text.is_empty() || text.chars().nth(max).is_some() {
        return err(ErrorKind::InvalidArgument, format!("`{what}` must be 1 to {max} characters"));
    }
    Ok(())
}

/// At most `max` bars in all: `count` is what is about to be allocated.
pub fn check_bars(count: usize) -> Result<()> {
    if count > MAX_BARS {
        return err(
            ErrorKind::InvalidCount,
            format!("at most {MAX_BARS} bars per scenario (all symbols), got {count}"),
        );
    }
    Ok(())
}

/// The bounds on the account rules shared by scenarios and engines (starting cash, leverage cap,
/// maintenance margin, session offset).
pub fn check_account_rules(
    starting_cash: Decimal,
    leverage_cap: Decimal,
    maintenance_margin: Decimal,
    session_utc_offset_minutes: i32,
) -> Result<()> {
    if starting_cash <= Decimal::ZERO || starting_cash > MAX_STARTING_CASH {
        return err(
            ErrorKind::InvalidScenario,
            format!("starting_cash must be in (0, {MAX_STARTING_CASH}], got {starting_cash}"),
        );
    }
    if starting_cash.normalize().scale() > MAX_DECIMALS {
        return err(
            ErrorKind::InvalidScenario,
            format!("starting_cash has more than {MAX_DECIMALS} decimal places: {starting_cash}"),
        );
    }
    if leverage_cap < Decimal::ONE || leverage_cap > MAX_LEVERAGE {
        return err(
            ErrorKind::InvalidScenario,
            format!("leverage_cap must be in [1, {MAX_LEVERAGE}], got {leverage_cap}"),
        );
    }
    if maintenance_margin < Decimal::ZERO || maintenance_margin >= Decimal::ONE {
        return err(
            ErrorKind::InvalidScenario,
            format!("maintenance_margin must be in [0, 1), got {maintenance_margin}"),
        );
    }
    if session_utc_offset_minutes.abs() > MAX_SESSION_OFFSET_MINUTES {
        return err(
            ErrorKind::InvalidScenario,
            format!(
                "session_utc_offset_minutes must be in [-{MAX_SESSION_OFFSET_MINUTES}, {MAX_SESSION_OFFSET_MINUTES}], got {session_utc_offset_minutes}"
            ),
        );
    }
    Ok(())
}

/// The error of a sum or product that left the range the engine works in.
pub fn overflow(what: &str) -> Error {
    Error::new(ErrorKind::ArithmeticOverflow, format!("{what} is out of the range the engine can represent"))
}

/// `a + b`, or `arithmetic_overflow` naming `what`.
pub fn add(a: Decimal, b: Decimal, what: &str) -> Result<Decimal> {
    a.checked_add(b).ok_or_else(|| overflow(what))
}

/// `a - b`, or `arithmetic_overflow` naming `what`.
pub fn sub(a: Decimal, b: Decimal, what: &str) -> Result<Decimal> {
    a.checked_sub(b).ok_or_else(|| overflow(what))
}

/// `a × b`, or `arithmetic_overflow` naming `what`.
pub fn mul(a: Decimal, b: Decimal, what: &str) -> Result<Decimal> {
    a.checked_mul(b).ok_or_else(|| overflow(what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_constants_are_the_powers_of_ten_they_say() {
        assert_eq!(MAX_QUANTITY, Decimal::from(10u64.pow(15)));
        assert_eq!(MAX_PRICE, Decimal::from(10u64.pow(10)));
        assert_eq!(MAX_CASH, Decimal::from(10u128.pow(27)));
    }

    #[test]
    fn texts_count_characters() {
        check_text("x", &"é".repeat(128), 128).unwrap();
        assert!(check_text("x", &"é".repeat(129), 128).is_err());
        assert!(check_text("x", "", 128).is_err());
    }
}
