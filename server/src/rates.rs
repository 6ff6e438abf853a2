//! The bot API's rate limits per account on the server's clock: 120 requests and 20 orders a
//! minute, counted by the core's sliding `RateWindow`; a refusal says when to retry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

use vectrade_core::risk::RateWindow;

/// Requests per minute per account on the bot routes.
pub const REQUESTS_PER_MINUTE: u32 = 120;
/// Orders per minute per account.
pub const ORDERS_PER_MINUTE: u32 = 20;

#[derive(Default)]
struct Windows {
    requests: RateWindow,
    orders: RateWindow,
}

/// The windows of every account.
#[derive(Default)]
pub struct Rates {
    accounts: Mutex<HashMap<String, Windows>>,
}

/// A refusal: how many seconds until the next attempt can be admitted.
pub struct Limited {
    /// Seconds (at least 1).
    pub retry_after: u64,
    /// What was limited.
    pub what: &'static str,
    /// The limit per minute.
    pub limit: u32,
}

fn refuse(w: &RateWindow, now: i64, what: &'static str, limit: u32) -> Limited {
    let secs = (w.retry_after_ms(now) + 999) / 1000;
    Limited { retry_after: u64::try_from(secs).unwrap_or(60).max(1), what, limit }
}

impl Rates {
    /// Counts a request of `account` at `now` (UTC ms).
    pub fn request(&self, account: &str, now: i64) -> Result<(), Limited> {
        let mut map = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        let w = map.entry(account.to_string()).or_default();
        if w.requests.admit(now, Some(REQUESTS_PER_MINUTE)) {
            Ok(())
        } else {
            Err(refuse(&w.requests, now, "requests", REQUESTS_PER_MINUTE))
        }
    }

    /// Counts an order of `account` at `now`.
    pub fn order(&self, account: &str, now: i64) -> Result<(), Limited> {
        let mut map = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        let w = map.entry(account.to_string()).or_default();
        if w.orders.admit(now, Some(ORDERS_PER_MINUTE)) {
            Ok(())
        } else {
            Err(refuse(&w.orders, now, "orders", ORDERS_PER_MINUTE))
        }
    }

    /// Requests of `account` admitted in the minute up to `now`.
    pub fn requests_in_window(&self, account: &str, now: i64) -> usize {
        let map = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        map.get(account).map_or(0, |w| w.requests.count(now))
    }
}

/// Where the bot routes' key check leaves the account it counted a request for, so that the
/// answer can say how many are left.
#[derive(Clone, Default)]
pub struct RateSlot(pub Arc<Mutex<Option<String>>>);

/// Adds `X-RateLimit-Limit` and `X-RateLimit-Remaining` (requests this minute) to every answer of
/// a bot route, refusals included.
pub async fn headers(State(state): State<Arc<crate::AppState>>, mut req: Request, next: Next) -> Response {
    let slot = RateSlot::default();
    req.extensions_mut().insert(slot.clone());
    let mut response = next.run(req).await;
    let account = slot.0.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(account) = account {
        let used = state.rates.requests_in_window(&account, crate::now_ms());
        let left = (REQUESTS_PER_MINUTE as usize).saturating_sub(used);
        let h = response.headers_mut();
        h.insert("x-ratelimit-limit", HeaderValue::from(REQUESTS_PER_MINUTE));
        h.insert("x-ratelimit-remaining", HeaderValue::from(left));
    }
    response
}
