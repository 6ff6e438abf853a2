//! Benchmark runs kept alive in memory and made durable as a command log: every command that
//! reaches the engine (order, cancel, step, ...) is appended to `run_commands` and acknowledged
//! once committed. The engine is deterministic, so a run is rebuilt after a restart by replaying its
//! commands on the same scenario, byte for byte.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use vectrade_core::{AgentId, Error as EngineError, Order, OrderRequest, RiskProfile, Run, Scenario, StepReport};

use crate::problem::{ApiError, Style};
use crate::store::{Store, StoreError};

/// A command that changes a run; the unit of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Command {
    /// Queue an order.
    Submit {
        /// The order.
        order: OrderRequest,
    },
    /// Cancel a working order.
    Cancel {
        /// Its id.
        order_id: u64,
    },
    /// Advance the clock.
    Step {
        /// Bars.
        count: u32,
    },
    /// Step to the end without new orders.
    HoldUntilEnd {
        /// At most this many bars.
        max_bars: Option<u32>,
    },
    /// Close every position and step to the end.
    LiquidateAndFinish {
        /// Why (recorded with the closing fills).
        rationale: String,
        /// At most this many bars.
        max_bars: Option<u32>,
    },
    /// Step into the next session.
    AdvanceSession {
        /// At most this many bars.
        max_bars: Option<u32>,
    },
}

/// What a command produced.
#[derive(Debug, Clone)]
pub enum Output {
    /// An order (submit, cancel).
    Order(Box<Order>),
    /// A step report.
    Step(StepReport),
}

/// A run's state in memory.
pub struct Live {
    /// The engine's run.
    pub run: Run,
    /// The run's one agent.
    pub agent: AgentId,
    next_seq: i64,
    idempotency: HashMap<String, Stored>,
}

struct Stored {
    request_hash: String,
    reply: Reply,
}

impl Live {
    fn apply(&mut self, command: &Command) -> Result<Output, EngineError> {
        let agent = self.agent;
        let run = &mut self.run;
        match command {
            Command::Submit { order } => run.submit(agent, order.clone()).map(|o| Output::Order(Box::new(o))),
            Command::Cancel { order_id } => run.cancel(agent, *order_id).map(|o| Output::Order(Box::new(o))),
            Command::Step { count } => run.step(*count).map(Output::Step),
            Command::HoldUntilEnd { max_bars } => run.hold_until_end(*max_bars, None).map(Output::Step),
            Command::LiquidateAndFinish { rationale, max_bars } => {
                run.liquidate_and_finish(agent, rationale, *max_bars).map(Output::Step)
            }
            Command::AdvanceSession { max_bars } => run.advance_until_next_session(*max_bars).map(Output::Step),
        }
    }
}

/// A JSON response kept whole, so an idempotent retry gets exactly the first one again.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status.
    pub status: StatusCode,
    /// JSON text.
    pub body: String,
}

impl Reply {
    /// A reply of `value` as JSON.
    pub fn json(status: StatusCode, value: &impl Serialize) -> Reply {
        Reply { status, body: serde_json::to_string(value).expect("response types serialise") }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut r = (self.status, self.body).into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        r
    }
}

/// What never changes about a run.
#[derive(Debug, Clone)]
pub struct RunMeta {
    /// UUID.
    pub id: String,
    /// Owner.
    pub account_id: String,
    /// The agent whose key created it (only that key reaches it then).
    pub agent_id: Option<String>,
    /// The key that created it.
    pub key_id: String,
    /// Scenario.
    pub scenario_slug: String,
    /// Optional name shown on the leaderboard.
    pub bot_name: Option<String>,
    /// Client-supplied description of the agent, kept as given.
    pub agent_info: Option<serde_json::Value>,
    /// Risk profile of the run's agent.
    pub risk: RiskProfile,
    /// Creation time (UTC ms).
    pub created_at: i64,
}

/// A published run's place on the leaderboard.
#[derive(Debug, Clone)]
pub struct Published {
    /// When (UTC ms).
    pub at: i64,
    /// Its results, as published.
    pub results: serde_json::Value,
}

/// One run: its fixed facts, its publication, and its live state once loaded.
pub struct RunHandle {
    /// Fixed facts.
    pub meta: RunMeta,
    published: Mutex<Option<Published>>,
    live: Mutex<Option<Live>>,
    loading: tokio::sync::Mutex<()>,
}

/// Idempotency of a request: its key and the hash of its body.
pub struct Idempotency {
    /// The client's key.
    pub key: String,
    /// SHA-256 of the canonical request body.
    pub request_hash: String,
}

const AGENT_NAME: &str = "agent";

impl RunHandle {
    /// A handle whose live state is built on first use.
    pub fn new(meta: RunMeta, published: Option<Published>) -> RunHandle {
        RunHandle {
            meta,
            published: Mutex::new(published),
            live: Mutex::new(None),
            loading: tokio::sync::Mutex::new(()),
        }
    }

    /// Its publication, if any.
    pub fn published(&self) -> Option<Published> {
        self.published.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Records a publication (after its row is committed).
    pub fn set_published(&self, p: Published) {
        *self.published.lock().unwrap_or_else(|e| e.into_inner()) = Some(p);
    }

    /// The live state; a lock poisoned by a panic drops it, to be rebuilt from the log.
    fn lock(&self) -> MutexGuard<'_, Option<Live>> {
        match self.live.lock() {
            Ok(g) => g,
            Err(poisoned) => {
                let mut g = poisoned.into_inner();
                *g = None;
                self.live.clear_poison();
                g
            }
        }
    }

    /// A fresh run of this handle's scenario with its agent.
    fn fresh(&self, scenario: Arc<Scenario>) -> Result<Live, EngineError> {
        let (run, agent) = Run::start(scenario, AGENT_NAME, self.meta.risk.clone())?;
        Ok(Live { run, agent, next_seq: 1, idempotency: HashMap::new() })
    }
}

/// Every run, by id.
#[derive(Default)]
pub struct Runs {
    map: RwLock<HashMap<String, Arc<RunHandle>>>,
}

struct LogRow {
    seq: i64,
    command: String,
    idem_key: Option<String>,
    request_hash: Option<String>,
    status: Option<u16>,
    response: Option<String>,
}

impl Runs {
    /// Loads every run's fixed facts (not their state: that is replayed on first use).
    pub fn load(conn: &Connection) -> rusqlite::Result<Runs> {
        let mut stmt = conn.prepare(
            "SELECT id, account_id, key_id, scenario_slug, bot_name, agent_info, risk_profile, created_at,
                    published_at, results, agent_id FROM runs",
        )?;
        let rows = stmt.query_map([], |r| {
            let agent_info: Option<String> = r.get(5)?;
            let risk: String = r.get(6)?;
            let published_at: Option<i64> = r.get(8)?;
            let results: Option<String> = r.get(9)?;
            let meta = RunMeta {
                id: r.get(0)?,
                account_id: r.get(1)?,
                agent_id: r.get(10)?,
                key_id: r.get(2)?,
                scenario_slug: r.get(3)?,
                bot_name: r.get(4)?,
                agent_info: agent_info.and_then(|s| serde_json::from_str(&s).ok()),
                risk: serde_json::from_str(&risk).unwrap_or_default(),
                created_at: r.get(7)?,
            };
            let published = published_at.map(|at| Published {
                at,
                results: results.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default(),
            });
            Ok(RunHandle::new(meta, published))
        })?;
        let runs = Runs::default();
        {
            let mut map = runs.map.write().expect("fresh lock");
            for h in rows {
                let h = h?;
                map.insert(h.meta.id.clone(), Arc::new(h));
            }
        }
        Ok(runs)
    }

    /// A run by id.
    pub fn get(&self, id: &str) -> Option<Arc<RunHandle>> {
        self.map.read().unwrap_or_else(|e| e.into_inner()).get(id).cloned()
    }

    /// Every run, in no particular order.
    pub fn all(&self) -> Vec<Arc<RunHandle>> {
        self.map.read().unwrap_or_else(|e| e.into_inner()).values().cloned().collect()
    }

    /// Forgets the runs of an agent whose rows were deleted.
    pub fn forget_agent(&self, agent_id: &str) {
        self.map.write().unwrap_or_else(|e| e.into_inner()).retain(|_, h| h.meta.agent_id.as_deref() != Some(agent_id));
    }

    /// Runs of `account_id` created at or after `since` (UTC ms).
    pub fn count_since(&self, account_id: &str, since: i64) -> usize {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        map.values().filter(|h| h.meta.account_id == account_id && h.meta.created_at >= since).count()
    }

    /// Creates a run: its row is committed before it is known.
    pub async fn create(
        &self,
        store: &Store,
        meta: RunMeta,
        scenario: Arc<Scenario>,
    ) -> Result<Arc<RunHandle>, ApiError> {
        let handle = Arc::new(RunHandle::new(meta, None));
        let live = handle.fresh(scenario).map_err(|e| ApiError::engine(Style::Problem, &e))?;
        let m = handle.meta.clone();
        let risk = serde_json::to_string(&m.risk).expect("risk profiles serialise");
        store
            .write(move |conn| {
                conn.execute(
                    "INSERT INTO runs (id, account_id, key_id, scenario_slug, bot_name, agent_info, risk_profile, created_at, agent_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![
                        m.id,
                        m.account_id,
                        m.key_id,
                        m.scenario_slug,
                        m.bot_name,
                        m.agent_info.as_ref().map(|v| v.to_string()),
                        risk,
                        m.created_at,
                        m.agent_id
                    ],
                )
                .map(drop)
            })
            .await
            .map_err(|e| ApiError::store(Style::Problem, &e))?;
        *handle.lock() = Some(live);
        self.map.write().unwrap_or_else(|e| e.into_inner()).insert(handle.meta.id.clone(), handle.clone());
        Ok(handle)
    }

    /// Makes sure the run's state is in memory, replaying its log if needed.
    async fn ensure_live(
        &self,
        store: &Store,
        handle: &Arc<RunHandle>,
        scenario: Arc<Scenario>,
    ) -> Result<(), ApiError> {
        if handle.lock().is_some() {
            return Ok(());
        }
        let _loading = handle.loading.lock().await;
        if handle.lock().is_some() {
            return Ok(());
        }
        let id = handle.meta.id.clone();
        // Through the writer thread: every command queued before is committed by then.
        let rows = store
            .read(move |conn| {
                let mut stmt = conn.prepare(
                    "SELECT seq, command, idem_key, request_hash, status, response FROM run_commands
                     WHERE run_id = ?1 ORDER BY seq",
                )?;
                let rows = stmt.query_map([&id], |r| {
                    Ok(LogRow {
                        seq: r.get(0)?,
                        command: r.get(1)?,
                        idem_key: r.get(2)?,
                        request_hash: r.get(3)?,
                        status: r.get(4)?,
                        response: r.get(5)?,
                    })
                })?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
            })
            .await
            .map_err(|e| ApiError::store(Style::Problem, &e))?;
        let h = handle.clone();
        let live = tokio::task::spawn_blocking(move || replay(&h, scenario, rows))
            .await
            .map_err(|_| ApiError::internal(Style::Problem, "rebuilding the run failed"))??;
        *handle.lock() = Some(live);
        Ok(())
    }

    /// Reads the run's live state.
    pub async fn read<T>(
        &self,
        store: &Store,
        handle: &Arc<RunHandle>,
        scenario: Arc<Scenario>,
        f: impl FnOnce(&Live) -> T,
    ) -> Result<T, ApiError> {
        self.ensure_live(store, handle, scenario).await?;
        let guard = handle.lock();
        let Some(live) = guard.as_ref() else {
            return Err(ApiError::internal(Style::Problem, "the run was unloaded; retry"));
        };
        catch_unwind(AssertUnwindSafe(|| f(live)))
            .map_err(|_| ApiError::internal(Style::Problem, "the engine failed while reading the run"))
    }

    /// Runs a command: applies it, renders the reply while the state is locked, appends it to the
    /// log, and answers once the log entry is committed. With an idempotency key, a retry of the
    /// same request gets the first success again, another request under the key a 409; failures
    /// are not kept under the key.
    pub async fn execute(
        &self,
        store: &Store,
        handle: &Arc<RunHandle>,
        scenario: Arc<Scenario>,
        command: Command,
        idempotency: Option<Idempotency>,
        render: impl FnOnce(&Live, Result<Output, EngineError>) -> Result<Reply, ApiError>,
    ) -> Result<Reply, ApiError> {
        self.ensure_live(store, handle, scenario).await?;
        let (written, reply) = {
            let mut guard = handle.lock();
            let Some(live) = guard.as_mut() else {
                return Err(ApiError::internal(Style::Problem, "the run was unloaded; retry"));
            };
            if let Some(idem) = &idempotency
                && let Some(seen) = live.idempotency.get(&idem.key)
            {
                if seen.request_hash == idem.request_hash {
                    return Ok(seen.reply.clone());
                }
                return Err(ApiError::new(
                    Style::Problem,
                    StatusCode::CONFLICT,
                    "idempotency_conflict",
                    format!("idempotency key '{}' was already used with a different request", idem.key),
                ));
            }
            let applied = catch_unwind(AssertUnwindSafe(|| {
                let output = live.apply(&command);
                render(live, output)
            }));
            let reply = match applied {
                Ok(reply) => reply,
                Err(_) => {
                    // The state may be half-changed: drop it; the log rebuilds it without this command.
                    *guard = None;
                    return Err(ApiError::internal(Style::Problem, "the engine failed on this request"));
                }
            };
            let seq = live.next_seq;
            live.next_seq += 1;
            let kept = match (&idempotency, &reply) {
                (Some(idem), Ok(r)) => {
                    live.idempotency
                        .insert(idem.key.clone(), Stored { request_hash: idem.request_hash.clone(), reply: r.clone() });
                    Some((idem.key.clone(), idem.request_hash.clone(), r.status.as_u16(), r.body.clone()))
                }
                _ => None,
            };
            let id = handle.meta.id.clone();
            let text = serde_json::to_string(&command).expect("commands serialise");
            // Queued while the run is locked, so the log keeps the order the engine saw.
            let written = store.write(move |conn| {
                let (key, hash, status, body) = match kept {
                    Some((k, h, s, b)) => (Some(k), Some(h), Some(s), Some(b)),
                    None => (None, None, None, None),
                };
                conn.prepare_cached(
                    "INSERT INTO run_commands (run_id, seq, command, idem_key, request_hash, status, response)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![id, seq, text, key, hash, status, body])
                .map(drop)
            });
            (written, reply)
        };
        if let Err(e) = written.await {
            // Memory is ahead of the disk: drop it, so the run is rebuilt from what was committed.
            *handle.lock() = None;
            return Err(store_error(e));
        }
        reply
    }
}

fn store_error(e: StoreError) -> ApiError {
    ApiError::store(Style::Problem, &e)
}

fn replay(handle: &RunHandle, scenario: Arc<Scenario>, rows: Vec<LogRow>) -> Result<Live, ApiError> {
    let broken =
        |detail: String| ApiError::internal(Style::Problem, format!("cannot rebuild run {}: {detail}", handle.meta.id));
    catch_unwind(AssertUnwindSafe(|| {
        let mut live = handle.fresh(scenario).map_err(|e| broken(e.detail))?;
        for row in rows {
            let command: Command =
                serde_json::from_str(&row.command).map_err(|e| broken(format!("command {}: {e}", row.seq)))?;
            // Outcomes were already answered; replay only rebuilds the state they left.
            let _ = live.apply(&command);
            if let (Some(key), Some(hash), Some(status), Some(body)) =
                (row.idem_key, row.request_hash, row.status, row.response)
            {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                live.idempotency.insert(key, Stored { request_hash: hash, reply: Reply { status, body } });
            }
            live.next_seq = row.seq + 1;
        }
        Ok(live)
    }))
    .unwrap_or_else(|_| Err(broken("the engine failed during replay".into())))
}
