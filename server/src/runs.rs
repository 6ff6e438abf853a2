//! Benchmark runs kept alive in memory and made durable as a command log: every command that
//! reaches the engine (order, cancel, step, ...) is appended to `run_commands` and acknowledged
//! once committed. The engine is deterministic, so a run is rebuilt after a restart by replaying its
//! commands on the same scenario, byte for byte.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use crate::args;
use crate::db::Db;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use vectrade_core::{AgentId, Error as EngineError, Order, OrderRequest, RiskProfile, Run, Scenario, StepReport};

use crate::problem::{ApiError, Style};
use crate::store::{Durable, Store, StoreError, append_log, lock_state, settle, wait_durable};

/// A command that changes a run; the unit of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Command {
    /// Queue an order.
    Submit {
        /// The order (boxed: the other commands are small).
        order: Box<OrderRequest>,
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
        /// Refused while the agent holds positions (absent in logs written before it existed).
        #[serde(default)]
        require_flat: bool,
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
    /// The log position of the command it answered: a retry waits until it is committed.
    seq: i64,
}

impl Live {
    fn apply(&mut self, command: &Command) -> Result<Output, EngineError> {
        let agent = self.agent;
        let run = &mut self.run;
        match command {
            Command::Submit { order } => run.submit(agent, (**order).clone()).map(|o| Output::Order(Box::new(o))),
            Command::Cancel { order_id } => run.cancel(agent, *order_id).map(|o| Output::Order(Box::new(o))),
            Command::Step { count } => run.step(*count).map(Output::Step),
            Command::HoldUntilEnd { max_bars, require_flat } => {
                run.hold_until_end(*max_bars, require_flat.then_some(agent)).map(Output::Step)
            }
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
    /// How far its log is on disk.
    durable: Durable,
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
            durable: tokio::sync::watch::Sender::new((0, 0)),
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
        lock_state(&self.live)
    }

    /// A fresh run of this handle's scenario with its agent.
    fn fresh(&self, scenario: Arc<Scenario>) -> Result<Live, EngineError> {
        let (run, agent) = Run::start(scenario, AGENT_NAME, self.meta.risk.clone())?;
        Ok(Live { run, agent, next_seq: 1, idempotency: HashMap::new() })
    }
}

type RunMap = Arc<RwLock<HashMap<String, Arc<RunHandle>>>>;

/// Every run, by id.
#[derive(Default)]
pub struct Runs {
    map: RunMap,
}

/// The account's monthly quota was reached (counted inside the run's insert, so concurrent
/// creations cannot overshoot it).
#[derive(Debug, Clone, Copy)]
pub struct QuotaReached;

const QUOTA_REACHED: &str = "monthly run quota reached";

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
    pub fn load(conn: &Db) -> crate::db::DbResult<Runs> {
        let runs = Runs::default();
        runs.map
            .write()
            .expect("fresh lock")
            .extend(Runs::rows(conn, None)?.into_iter().map(|h| (h.meta.id.clone(), Arc::new(h))));
        Ok(runs)
    }

    /// The runs of one account, or of all.
    pub fn rows(conn: &Db, account: Option<&str>) -> crate::db::DbResult<Vec<RunHandle>> {
        conn.query_map(
            "SELECT id, account_id, key_id, scenario_slug, bot_name, agent_info, risk_profile, created_at,
                    published_at, results, agent_id FROM runs WHERE CAST(?1 AS TEXT) IS NULL OR account_id = ?1",
            args![account],
            |r| {
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
            },
        )
    }

    /// Replaces what memory holds of one account's runs with `runs` (from the database; their
    /// state is replayed on first use).
    pub fn replace_account(&self, account_id: &str, runs: Vec<RunHandle>) {
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, h| h.meta.account_id != account_id);
        map.extend(runs.into_iter().map(|h| (h.meta.id.clone(), Arc::new(h))));
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

    /// Runs `account_id` started at or after `since` (UTC ms), deleted ones included.
    pub fn count_since(conn: &Db, account_id: &str, since: i64) -> crate::db::DbResult<usize> {
        let n: i64 = conn.query_row(
            "SELECT COUNT(*) FROM run_usage WHERE account_id = ?1 AND created_at >= ?2",
            args![account_id, since],
            |r| r.get(0),
        )?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// Creates a run unless `quota` (runs since a time) is used up: its row and its usage are
    /// committed before it is known.
    pub async fn create(
        &self,
        store: &Store,
        meta: RunMeta,
        scenario: Arc<Scenario>,
        quota: (i64, usize),
    ) -> Result<Result<Arc<RunHandle>, QuotaReached>, ApiError> {
        let handle = Arc::new(RunHandle::new(meta, None));
        let live = handle.fresh(scenario.clone()).map_err(|e| ApiError::engine(Style::Problem, &e))?;
        *handle.lock() = Some(live);
        let m = handle.meta.clone();
        let risk = serde_json::to_string(&m.risk).expect("risk profiles serialise");
        let fingerprint = format!("{:016x}", scenario.fingerprint());
        let (map, known) = (self.map.clone(), handle.clone());
        let written = store
            .write_then(
                move |conn| {
                    let (since, limit) = quota;
                    if Runs::count_since(conn, &m.account_id, since)? >= limit {
                        return Err(crate::db::DbError::other(QUOTA_REACHED));
                    }
                    conn.execute(
                        "INSERT INTO run_usage (account_id, run_id, created_at) VALUES (?1, ?2, ?3)",
                        args![m.account_id, m.id, m.created_at],
                    )?;
                    conn.execute(
                        "INSERT INTO runs (id, account_id, key_id, scenario_slug, bot_name, agent_info, risk_profile,
                                           created_at, agent_id, scenario_fingerprint)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                        args![
                            m.id,
                            m.account_id,
                            m.key_id,
                            m.scenario_slug,
                            m.bot_name,
                            m.agent_info.as_ref().map(|v| v.to_string()),
                            risk,
                            m.created_at,
                            m.agent_id,
                            fingerprint
                        ],
                    )
                    .map(drop)
                },
                move |result| {
                    if result.is_ok() {
                        map.write().unwrap_or_else(|e| e.into_inner()).insert(known.meta.id.clone(), known);
                    }
                },
            )
            .await;
        match written {
            Ok(()) => Ok(Ok(handle)),
            Err(e) if e.0.contains(QUOTA_REACHED) => Ok(Err(QuotaReached)),
            Err(e) => Err(ApiError::store(Style::Problem, &e)),
        }
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
        let expected = format!("{:016x}", scenario.fingerprint());
        // Through the writer thread: every command queued before is committed by then.
        let (stored, rows) = store
            .read(move |conn| {
                let stored: Option<String> =
                    conn.query_row("SELECT scenario_fingerprint FROM runs WHERE id = ?1", [&id], |r| r.get(0))?;
                let rows = conn.query_map(
                    "SELECT seq, command, idem_key, request_hash, status, response FROM run_commands
                     WHERE run_id = ?1 ORDER BY seq",
                    [&id],
                    |r| {
                        Ok(LogRow {
                            seq: r.get(0)?,
                            command: r.get(1)?,
                            idem_key: r.get(2)?,
                            request_hash: r.get(3)?,
                            status: r.get(4)?,
                            response: r.get(5)?,
                        })
                    },
                )?;
                Ok((stored, rows))
            })
            .await
            .map_err(|e| ApiError::store(Style::Problem, &e))?;
        // The log is replayed on the scenario's bars: other bars would rebuild another run.
        if stored.as_ref().is_some_and(|f| *f != expected) {
            return Err(ApiError::internal(
                Style::Problem,
                format!(
                    "run {} was played on other bars of '{}' (fingerprint {}, this server's are {expected}); \
                     it cannot be rebuilt by this version",
                    handle.meta.id,
                    handle.meta.scenario_slug,
                    stored.unwrap_or_default()
                ),
            ));
        }
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
        let (value, seen) = {
            let guard = handle.lock();
            let Some(live) = guard.as_ref() else {
                return Err(ApiError::internal(Style::Problem, "the run was unloaded; retry"));
            };
            let value = catch_unwind(AssertUnwindSafe(|| f(live)))
                .map_err(|_| ApiError::internal(Style::Problem, "the engine failed while reading the run"))?;
            (value, live.next_seq - 1)
        };
        // Nothing that is not on disk is shown: a read waits for the commands it saw.
        wait_durable(&handle.durable, seen).await.map_err(store_error)?;
        Ok(value)
    }

    /// Runs a command: applies it, renders the reply while the state is locked, appends it to the
    /// log, and answers once the log entry is committed. With an idempotency key, a retry of the
    /// same request gets the first success again (once that one is committed), another request
    /// under the key a 409; failures are not kept under the key.
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
        let step = self.apply_and_log(store, handle, command, idempotency, render)?;
        match step {
            Applied::Replayed { reply, seq } => {
                // The first answer counts only once its command is on disk.
                wait_durable(&handle.durable, seq).await.map_err(store_error)?;
                Ok(reply)
            }
            Applied::Logged { written, reply } => {
                written.await.map_err(store_error)?;
                reply
            }
        }
    }

    /// The locked part of [`Runs::execute`]: no `await` while the run is locked.
    fn apply_and_log(
        &self,
        store: &Store,
        handle: &Arc<RunHandle>,
        command: Command,
        idempotency: Option<Idempotency>,
        render: impl FnOnce(&Live, Result<Output, EngineError>) -> Result<Reply, ApiError>,
    ) -> Result<Applied, ApiError> {
        let mut guard = handle.lock();
        let Some(live) = guard.as_mut() else {
            return Err(ApiError::internal(Style::Problem, "the run was unloaded; retry"));
        };
        if let Some(idem) = &idempotency
            && let Some(seen) = live.idempotency.get(&idem.key)
        {
            if seen.request_hash == idem.request_hash {
                return Ok(Applied::Replayed { reply: seen.reply.clone(), seq: seen.seq });
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
                let stored = Stored { request_hash: idem.request_hash.clone(), reply: r.clone(), seq };
                live.idempotency.insert(idem.key.clone(), stored);
                Some((idem.key.clone(), idem.request_hash.clone(), r.status.as_u16(), r.body.clone()))
            }
            _ => None,
        };
        let id = handle.meta.id.clone();
        let text = serde_json::to_string(&command).expect("commands serialise");
        let after = handle.clone();
        // Queued while the run is locked, so the log keeps the order the engine saw.
        let written = store.write_then(
            move |conn| {
                let (key, hash, status, body) = match kept {
                    Some((k, h, s, b)) => (Some(k), Some(h), Some(s), Some(b)),
                    None => (None, None, None, None),
                };
                append_log(
                    conn,
                    "run_commands",
                    "run_id",
                    &id,
                    seq,
                    &[
                        ("command", "TEXT"),
                        ("idem_key", "TEXT"),
                        ("request_hash", "TEXT"),
                        ("status", "BIGINT"),
                        ("response", "TEXT"),
                    ],
                    args![text, key, hash, status, body],
                )
            },
            move |result| settle(&after.live, &after.durable, seq, result),
        );
        Ok(Applied::Logged { written: Box::pin(written), reply })
    }
}

/// What the locked part of a command did.
enum Applied {
    /// An idempotent retry: the first answer, once command `seq` is durable.
    Replayed { reply: Reply, seq: i64 },
    /// Applied and queued: the answer, once `written` resolves.
    Logged {
        written: std::pin::Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send>>,
        reply: Result<Reply, ApiError>,
    },
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
                live.idempotency
                    .insert(key, Stored { request_hash: hash, reply: Reply { status, body }, seq: row.seq });
            }
            live.next_seq = row.seq + 1;
        }
        handle.durable.send_modify(|d| d.0 = d.0.max(live.next_seq - 1));
        Ok(live)
    }))
    .unwrap_or_else(|_| Err(broken("the engine failed during replay".into())))
}
