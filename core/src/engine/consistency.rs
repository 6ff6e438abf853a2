//! Consistency of an engine read from a snapshot: every invariant the engine keeps while it runs,
//! checked once, so an edited or corrupted snapshot is refused instead of panicking later.

use super::Engine;
use crate::error::{Error, ErrorKind, Result};

impl Engine {
    /// Checks the internal consistency of a deserialised engine (a snapshot may have been edited):
    /// orders ascending by id and below the next id, working orders exist and work, one position and
    /// one mark per symbol.
    pub fn check_consistency(&self) -> Result<()> {
        let bad = |what: String| Err(Error::new(ErrorKind::InvalidSnapshot, format!("inconsistent snapshot: {what}")));
        let n = self.symbols.len();
        if self.marks.len() != n || self.last_bar_ts.len() != n || self.index.len() != n {
            return bad("symbol tables differ in length".into());
        }
        for a in &self.agents {
            if a.account.positions.len() != n {
                return bad(format!("agent '{}' has {} positions for {n} symbols", a.name, a.account.positions.len()));
            }
            if a.orders.windows(2).any(|w| w[0].id >= w[1].id)
                || a.orders.last().is_some_and(|o| o.id >= self.next_order_id)
            {
                return bad(format!("orders of agent '{}' are not ascending below the next id", a.name));
            }
            for &w in &a.working {
                if !a.order(w).is_some_and(|o| o.status.is_working() && self.index.contains_key(o.symbol())) {
                    return bad(format!("working order {w} of agent '{}' does not exist or does not work", a.name));
                }
            }
            if a.fills.last().is_some_and(|f| f.id >= self.next_fill_id) {
                return bad(format!("fills of agent '{}' reach past the next fill id", a.name));
            }
        }
        Ok(())
    }
}
