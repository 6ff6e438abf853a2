//! How a host stops the engine's long loops between bars (Ctrl-C in Python) without the core
//! looking at signals: a loop asks its [`Interrupt`] every [`CHECK_EVERY`] bars, and an error from
//! the check ends the loop at that bar boundary and is returned as it is.

use std::fmt;
use std::sync::Arc;

use crate::error::Result;

/// Bars between two checks. A bar costs well under a microsecond, so one check (for Python, a read of
/// the interpreter's signal flag) per 1024 bars is invisible on the hot path and still stops a
/// loop within a few milliseconds.
pub const CHECK_EVERY: usize = 1024;

/// The host's check: `Ok(())` to go on, an error (by convention of kind `interrupted`) to stop.
#[derive(Clone)]
pub struct Interrupt(Arc<dyn Fn() -> Result<()> + Send + Sync>);

impl Interrupt {
    /// A check made from a closure.
    pub fn new(check: impl Fn() -> Result<()> + Send + Sync + 'static) -> Self {
        Interrupt(Arc::new(check))
    }

    /// A check that stops the loop once `flag` is set, from any thread (a host that watches for
    /// its signals on one thread while the engine runs on others).
    pub fn on_flag(flag: Arc<std::sync::atomic::AtomicBool>) -> Self {
        Interrupt::new(move || {
            if flag.load(std::sync::atomic::Ordering::Relaxed) {
                Err(crate::Error::new(crate::ErrorKind::Interrupted, "interrupted by a signal"))
            } else {
                Ok(())
            }
        })
    }

    /// Asks the host now.
    pub fn check(&self) -> Result<()> {
        (self.0)()
    }

    /// Asks the host when `bar` (a loop's bar counter or step index) is a multiple of
    /// [`CHECK_EVERY`]; free otherwise.
    pub(crate) fn at(&self, bar: usize) -> Result<()> {
        if bar % CHECK_EVERY == 0 { self.check() } else { Ok(()) }
    }
}

impl fmt::Debug for Interrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Interrupt(..)")
    }
}
