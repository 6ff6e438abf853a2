//! The one error type of the engine: a stable machine code, a family, and a human detail.
//!
//! Every failure a user can cause has its own [`ErrorKind`] whose [`ErrorKind::code`] is a stable
//! `snake_case` string. Bindings map [`ErrorKind::family`] onto their exception hierarchy and the
//! HTTP server maps it onto a status code, so the same code surfaces as a Python exception
//! attribute, a JavaScript `error.code` and an HTTP error body.

use serde::{Deserialize, Serialize};

/// The code a binding or the server gives a panic it caught at its boundary (`InternalError`;
/// a 500 over HTTP). Not an [`ErrorKind`]: no input may reach a panic, so one is a bug of the
/// engine, reported as such, never an answer the engine gives.
pub const INTERNAL_ERROR_CODE: &str = "internal_error";

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`ErrorKind`] is; bindings create one exception class per family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorFamily {
    /// The input itself is malformed (bad quantity, unknown enum value, bad CSV, ...).
    InvalidInput,
    /// The order is well formed but the account cannot take it (buying power, position, shorting).
    OrderRejected,
    /// A check of the agent's risk profile refused the order.
    RiskLimitExceeded,
    /// A rate limit of the risk profile refused the request.
    RateLimited,
    /// An idempotency key or identifier was reused for a different request.
    Conflict,
    /// The named thing does not exist.
    NotFound,
    /// The call is not valid in the current state (run finished, run still active, ...).
    InvalidState,
}

macro_rules! error_kinds {
    ($( $(#[$doc:meta])* $variant:ident => $code:literal, $family:ident; )*) => {
        /// Every error the engine can return, each with a stable code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorKind {
            $( $(#[$doc])* $variant, )*
        }

        impl ErrorKind {
            /// All kinds, in declaration order; lets bindings and docs list every code.
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$variant,)*];

            /// The stable machine code, e.g. `insufficient_buying_power`.
            pub const fn code(self) -> &'static str {
                match self { $(ErrorKind::$variant => $code,)* }
            }

            /// The family this kind belongs to.
            pub const fn family(self) -> ErrorFamily {
                match self { $(ErrorKind::$variant => ErrorFamily::$family,)* }
            }

            /// Looks a kind up by its code.
            pub fn from_code(code: &str) -> Option<ErrorKind> {
                match code { $($code => Some(ErrorKind::$variant),)* _ => None }
            }
        }
    };
}

error_kinds! {
    /// Quantity is zero, negative or has more than 8 decimal places.
    InvalidQuantity => "invalid_quantity", InvalidInput;
    /// A price is zero, negative or has more than 8 decimal places.
    InvalidPrice => "invalid_price", InvalidInput;
    /// LIMIT and STOP_LIMIT orders need `limit_price`.
    MissingLimitPrice => "missing_limit_price", InvalidInput;
    /// STOP and STOP_LIMIT orders need `stop_price`.
    MissingStopPrice => "missing_stop_price", InvalidInput;
    /// A price field was given that the order type does not use.
    PriceNotAllowed => "price_not_allowed", InvalidInput;
    /// Attached exits are inconsistent (stop above entry for a long, exits on a closing order, ...).
    InvalidBracket => "invalid_bracket", InvalidInput;
    /// A string did not name one of the allowed values of an enum.
    InvalidEnumValue => "invalid_enum_value", InvalidInput;
    /// Lookback outside 1..=1000.
    InvalidLookback => "invalid_lookback", InvalidInput;
    /// Step count of zero, or another count that makes no sense.
    InvalidCount => "invalid_count", InvalidInput;
    /// A bar violates low <= open/close <= high, has a non-positive price or negative volume.
    InvalidBar => "invalid_bar", InvalidInput;
    /// A bar arrived with a timestamp not after the previous one.
    OutOfOrderBar => "out_of_order_bar", InvalidInput;
    /// A scenario definition is inconsistent (missing series, empty universe, ...).
    InvalidScenario => "invalid_scenario", InvalidInput;
    /// A risk profile value is out of its allowed range.
    InvalidRiskProfile => "invalid_risk_profile", InvalidInput;
    /// CSV text could not be parsed as OHLCV bars.
    CsvParse => "csv_parse_error", InvalidInput;
    /// A timestamp string is not RFC 3339 or a date.
    InvalidTimestamp => "invalid_timestamp", InvalidInput;
    /// A snapshot could not be decoded or belongs to another scenario.
    InvalidSnapshot => "invalid_snapshot", InvalidInput;
    /// An argument is out of its allowed range (named in the detail).
    InvalidArgument => "invalid_argument", InvalidInput;
    /// A sum or product of the values given left the range the engine computes in (quantities,
    /// prices and cash at their limits, see `limits`); nothing was changed.
    ArithmeticOverflow => "arithmetic_overflow", InvalidInput;

    /// The symbol is not in the scenario's universe.
    UnknownSymbol => "unknown_symbol", OrderRejected;
    /// Not enough buying power for the order (counting orders already queued).
    InsufficientBuyingPower => "insufficient_buying_power", OrderRejected;
    /// A sell exceeds the long position, or a cover exceeds the short position.
    InsufficientPosition => "insufficient_position", OrderRejected;
    /// A buy while short, or a short while long: use cover or sell first.
    PositionSideConflict => "position_side_conflict", OrderRejected;
    /// Shorting is not enabled for this scenario or agent.
    ShortingDisabled => "shorting_disabled", OrderRejected;
    /// The symbol can be observed but not traded (the benchmark).
    SymbolNotTradable => "symbol_not_tradable", OrderRejected;
    /// The agent is under a margin call or was liquidated; it takes no new orders.
    AccountLiquidated => "account_liquidated", OrderRejected;

    /// Position value after the order would exceed `max_position_size_pct` of equity.
    MaxPositionSizeExceeded => "max_position_size_exceeded", RiskLimitExceeded;
    /// Today's loss reached `daily_loss_limit_pct`; new risk is blocked until the next session.
    DailyLossLimitReached => "daily_loss_limit_reached", RiskLimitExceeded;
    /// Working orders would exceed `max_open_orders`.
    MaxOpenOrdersExceeded => "max_open_orders_exceeded", RiskLimitExceeded;
    /// Gross exposure after the order would exceed the agent's leverage cap.
    LeverageCapExceeded => "leverage_cap_exceeded", RiskLimitExceeded;
    /// The symbol is outside the agent's own universe.
    SymbolNotAllowed => "symbol_not_allowed", RiskLimitExceeded;

    /// More orders per simulated minute than the profile allows.
    OrderRateLimited => "order_rate_limited", RateLimited;
    /// More requests per simulated minute than the profile allows.
    RequestRateLimited => "request_rate_limited", RateLimited;

    /// Same idempotency key, different request.
    IdempotencyConflict => "idempotency_conflict", Conflict;
    /// An agent with this name already exists in the run.
    DuplicateAgent => "duplicate_agent", Conflict;

    /// No scenario with that slug.
    UnknownScenario => "unknown_scenario", NotFound;
    /// No agent with that id or name.
    UnknownAgent => "unknown_agent", NotFound;
    /// No order with that id for this agent.
    OrderNotFound => "order_not_found", NotFound;

    /// The run is over; it accepts no more steps or orders.
    RunFinished => "run_finished", InvalidState;
    /// Results are only available once the run is over.
    RunNotFinished => "run_not_finished", InvalidState;
    /// Agents can only join before the first step.
    RunAlreadyStarted => "run_already_started", InvalidState;
    /// The order is no longer working (filled, cancelled or rejected).
    OrderNotCancellable => "order_not_cancellable", InvalidState;
    /// No bar of the symbol has been seen yet, so the order cannot be priced.
    NoMarketData => "no_market_data", InvalidState;
    /// `require_flat` was asked while positions are open.
    PositionsOpen => "positions_open", InvalidState;
    /// The host stopped a long loop (Ctrl-C in Python, see `interrupt`); the run stands at the bar
    /// boundary it had reached and goes on from there.
    Interrupted => "interrupted", InvalidState;
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// An engine error: a kind with a stable code and a human detail naming the values involved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{detail}")]
pub struct Error {
    /// What went wrong, as a stable code.
    pub kind: ErrorKind,
    /// What a person reads, e.g. `insufficient buying power: need $5000.00, have $2000.00`.
    pub detail: String,
}

impl Error {
    /// Builds an error of `kind` with a detail message.
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Error { kind, detail: detail.into() }
    }

    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// The family of the kind.
    pub fn family(&self) -> ErrorFamily {
        self.kind.family()
    }

    /// An error for a string that is not one of `allowed`.
    pub fn invalid_enum(field: &str, got: &str, allowed: &[&str]) -> Self {
        let list = allowed.iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(", ");
        Error::new(ErrorKind::InvalidEnumValue, format!("`{field}` must be one of {{{list}}}, got '{got}'"))
    }
}

/// Shorthand used inside the crate: `err(kind, format!(..))`.
pub(crate) fn err<T>(kind: ErrorKind, detail: impl Into<String>) -> Result<T> {
    Err(Error::new(kind, detail))
}
