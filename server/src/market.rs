//! The live paper market of the bot routes: a scenario's bars revealed one timestamp per interval
//! (or per operator call), and one isolated portfolio per account, each its own core `Engine`.
//!
//! A portfolio is durable as a command log, like a run: every order, cancel or reset is stored with
//! the market step it was applied at and answered once committed. Bars reach a portfolio lazily:
//! before any command, its engine is fed every timestamp revealed since it last looked. The engine
//! is deterministic, so feeding the same bars and the same commands at the same steps after a
//! restart rebuilds the portfolio exactly.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use crate::args;
use crate::db::Db;
use crate::db::OptionalExt as _;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use vectrade_core::{AgentId, Engine, EngineConfig, Error as EngineError, Order, OrderRequest, RiskProfile, Scenario};

use crate::problem::{ApiError, Style};
use crate::store::{Durable, Store, append_log, lock_state, settle, wait_durable};

/// A command that changes a portfolio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Command {
    /// Place an order.
    Submit {
        /// The order.
        order: OrderRequest,
    },
    /// Cancel a working order.
    Cancel {
        /// Its id.
        order_id: u64,
    },
    /// Close every position at its mark, cancel every order, restore the starting cash.
    Reset,
    /// Replace the risk profile (from the next order on).
    SetRisk {
        /// The new profile.
        risk: RiskProfile,
    },
}

/// Whose portfolio: an account's bot portfolio, or one agent's.
#[derive(Debug, Clone)]
pub enum Owner {
    /// The account's own portfolio (bot keys).
    Account(String),
    /// An agent's isolated portfolio with its own balance and limits.
    Agent {
        /// The owning account.
        account_id: String,
        /// The agent.
        agent_id: String,
        /// Its starting balance.
        starting_cash: Decimal,
        /// Its risk profile when the portfolio opens.
        risk: RiskProfile,
    },
}

impl Owner {
    fn key(&self) -> String {
        match self {
            Owner::Account(id) => owner_key(Some(id), None),
            Owner::Agent { agent_id, .. } => owner_key(None, Some(agent_id)),
        }
    }
}

/// A portfolio's state in memory.
pub struct Book {
    /// The portfolio's engine.
    pub engine: Engine,
    /// Its one agent.
    pub agent: AgentId,
    /// The portfolio's id.
    pub id: String,
    /// Market steps fed so far.
    seen: usize,
    next_seq: i64,
}

/// What never changes about a portfolio.
#[derive(Debug, Clone)]
pub struct PortfolioMeta {
    /// UUID.
    pub id: String,
    /// Owner.
    pub account_id: String,
    /// The agent it belongs to, if not the account's own.
    pub agent_id: Option<String>,
    /// Cash it started with.
    pub starting_cash: Decimal,
    /// Risk profile of its agent.
    pub risk: RiskProfile,
    /// Market step at which it joined (its equity curve starts there).
    pub joined_step: usize,
    /// Creation time (UTC ms).
    pub created_at: i64,
}

/// Where the market keeps an owner's portfolio: an agent's under `agent:<id>`, an account's own
/// under the account's id.
fn owner_key(account_id: Option<&str>, agent_id: Option<&str>) -> String {
    match agent_id {
        Some(a) => format!("agent:{a}"),
        None => account_id.unwrap_or_default().to_string(),
    }
}

impl PortfolioMeta {
    /// The key of its owner among the market's portfolios (as [`Owner`]'s).
    fn owner_key(&self) -> String {
        owner_key(Some(&self.account_id), self.agent_id.as_deref())
    }
}

/// One portfolio: its fixed facts and its state once loaded.
pub struct Portfolio {
    /// Fixed facts.
    pub meta: PortfolioMeta,
    book: Mutex<Option<Book>>,
    loading: tokio::sync::Mutex<()>,
    /// How far its log is on disk.
    durable: Durable,
}

impl Portfolio {
    fn new(meta: PortfolioMeta) -> Portfolio {
        Portfolio { meta, book: Mutex::new(None), loading: tokio::sync::Mutex::new(()), durable: Durable::new((0, 0)) }
    }

    /// The state; a lock poisoned by a panic drops it, to be rebuilt from the log.
    fn lock(&self) -> MutexGuard<'_, Option<Book>> {
        lock_state(&self.book)
    }
}

/// The market: its scenario, how far it has been revealed, and the portfolios trading it.
pub struct Market {
    /// The scenario replayed.
    pub scenario: Arc<Scenario>,
    /// Timeline steps revealed so far (at least 1: the first bar is out when the market opens).
    step: Arc<AtomicUsize>,
    advancing: tokio::sync::Mutex<()>,
    /// Portfolios are opened one at a time, so two first requests open one.
    opening: tokio::sync::Mutex<()>,
    portfolios: Arc<RwLock<HashMap<String, Arc<Portfolio>>>>,
}

struct LogRow {
    seq: i64,
    at_step: usize,
    command: String,
}

fn engine_error(e: &EngineError) -> ApiError {
    ApiError::engine(Style::Detail, e)
}

impl Market {
    /// Opens the market on `scenario`: its revealed step and its portfolios from the database.
    pub fn load(conn: &Db, scenario: Arc<Scenario>) -> crate::db::DbResult<Market> {
        let slug = scenario.config().slug.clone();
        let fingerprint = format!("{:016x}", scenario.fingerprint());
        let stored: Option<(i64, Option<String>)> = conn
            .query_row("SELECT step, fingerprint FROM markets WHERE slug = ?1", [&slug], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        // Portfolios are replayed on the market's bars: other bars under the same name would
        // rebuild other portfolios than the ones acknowledged.
        if let Some((_, Some(f))) = &stored
            && *f != fingerprint
        {
            return Err(crate::db::DbError::other(format!(
                "the database's market '{slug}' was built from other bars (fingerprint {f}, these are {fingerprint}); \
                     use another --db, or the same bars"
            )));
        }
        let step = Market::stored_step(conn, &slug)?;
        let rows = Market::portfolio_rows(conn, &slug, None)?;
        let mut portfolios = HashMap::new();
        for meta in rows {
            // The first portfolio of an owner is the one in use (a unique index keeps it the only one).
            portfolios.entry(meta.owner_key()).or_insert_with(|| Arc::new(Portfolio::new(meta)));
        }
        Ok(Market {
            scenario,
            step: Arc::new(AtomicUsize::new(usize::try_from(step).unwrap_or(1))),
            advancing: tokio::sync::Mutex::new(()),
            opening: tokio::sync::Mutex::new(()),
            portfolios: Arc::new(RwLock::new(portfolios)),
        })
    }

    /// How far the market named `slug` is revealed, as stored. A command may be committed at a
    /// step whose own row was not (the step is not otherwise acknowledged), so the market resumes
    /// at the furthest step anything saw.
    fn stored_step(conn: &Db, slug: &str) -> crate::db::DbResult<i64> {
        let stored = Market::row_step(conn, slug)?;
        let seen: Option<i64> = conn.query_row(
            "SELECT MAX(c.at_step) FROM portfolio_commands c JOIN portfolios p ON p.id = c.portfolio_id WHERE p.market = ?1",
            [slug],
            |r| r.get(0),
        )?;
        Ok(stored.unwrap_or(1).max(seen.unwrap_or(1)).max(1))
    }

    /// The step stored in the market's own row, if it has one.
    fn row_step(conn: &Db, slug: &str) -> crate::db::DbResult<Option<i64>> {
        conn.query_row("SELECT step FROM markets WHERE slug = ?1", [slug], |r| r.get(0)).optional()
    }

    /// Catches up with the step another process revealed (`--shared`: one process advances the
    /// market, every process serves portfolios on it).
    pub async fn sync_step(&self, store: &Store) -> Result<(), ApiError> {
        let slug = self.scenario.config().slug.clone();
        // The holder commits a step before it serves on it, so the market's row is enough here
        // (no scan of the portfolios' logs, as at start).
        let step = store
            .read_committed(move |conn| Market::row_step(conn, &slug))
            .await
            .map_err(|e| ApiError::store(Style::Detail, &e))?;
        let Some(step) = step else { return Ok(()) };
        let step = usize::try_from(step).unwrap_or(1).min(self.scenario.timeline().len());
        self.step.fetch_max(step, Ordering::AcqRel);
        Ok(())
    }

    /// The portfolios of the market `slug` (of one account, or of all), oldest first.
    pub fn portfolio_rows(conn: &Db, slug: &str, account: Option<&str>) -> crate::db::DbResult<Vec<PortfolioMeta>> {
        conn.query_map(
            "SELECT id, account_id, starting_cash, risk_profile, joined_step, created_at, agent_id FROM portfolios
             WHERE market = ?1 AND (CAST(?2 AS TEXT) IS NULL OR account_id = ?2) ORDER BY rowid",
            args![slug, account],
            |r| {
                let cash: String = r.get(2)?;
                let risk: String = r.get(3)?;
                Ok(PortfolioMeta {
                    id: r.get(0)?,
                    account_id: r.get(1)?,
                    agent_id: r.get(6)?,
                    starting_cash: cash.parse().unwrap_or_default(),
                    risk: serde_json::from_str(&risk).unwrap_or_default(),
                    joined_step: usize::try_from(r.get::<i64>(4)?).unwrap_or(1),
                    created_at: r.get(5)?,
                })
            },
        )
    }

    /// Replaces what memory holds of one account's portfolios with `metas` (from the database;
    /// their state is replayed on first use).
    pub fn replace_account(&self, account_id: &str, metas: Vec<PortfolioMeta>) {
        let mut map = self.portfolios.write().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, p| p.meta.account_id != account_id);
        for meta in metas {
            map.entry(meta.owner_key()).or_insert_with(|| Arc::new(Portfolio::new(meta)));
        }
    }

    /// Timeline steps revealed so far.
    pub fn revealed(&self) -> usize {
        self.step.load(Ordering::Acquire)
    }

    /// True once every bar of the scenario is out.
    pub fn is_closed(&self) -> bool {
        self.revealed() >= self.scenario.timeline().len()
    }

    /// The clock: time of the latest revealed bar (UTC ms).
    pub fn clock(&self) -> i64 {
        let t = self.scenario.timeline();
        t[self.revealed().clamp(1, t.len()) - 1]
    }

    /// Reveals up to `bars` more timestamps; the new step is committed before it is answered.
    pub async fn advance(&self, store: &Store, bars: usize) -> Result<usize, ApiError> {
        let _one_at_a_time = self.advancing.lock().await;
        let end = self.scenario.timeline().len();
        let now = self.revealed();
        let next = now.saturating_add(bars).min(end);
        if next == now {
            return Ok(0);
        }
        let slug = self.scenario.config().slug.clone();
        let fingerprint = format!("{:016x}", self.scenario.fingerprint());
        let step = i64::try_from(next).unwrap_or(i64::MAX);
        let revealed = self.step.clone();
        store
            .write_then(
                move |conn| {
                    conn.execute(
                        "INSERT INTO markets (slug, step, fingerprint) VALUES (?1, ?2, ?3)
                     ON CONFLICT(slug) DO UPDATE SET step = excluded.step",
                        args![slug, step, fingerprint],
                    )
                    .map(drop)
                },
                move |result| {
                    if result.is_ok() {
                        revealed.store(next, Ordering::Release);
                    }
                },
            )
            .await
            .map_err(|e| ApiError::store(Style::Detail, &e))?;
        Ok(next - now)
    }

    /// The owner's portfolio if it was ever opened.
    pub fn existing(&self, owner: &Owner) -> Option<Arc<Portfolio>> {
        self.portfolios.read().unwrap_or_else(|e| e.into_inner()).get(&owner.key()).cloned()
    }

    /// The portfolio `meta` describes, if this process has it.
    pub fn known(&self, meta: &PortfolioMeta) -> Option<Arc<Portfolio>> {
        self.portfolios
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&meta.owner_key())
            .filter(|p| p.meta.id == meta.id)
            .cloned()
    }

    /// Forgets a portfolio whose rows were deleted.
    pub fn forget(&self, owner: &Owner) {
        self.portfolios.write().unwrap_or_else(|e| e.into_inner()).remove(&owner.key());
    }

    /// The owner's portfolio, opened (and committed) on first use.
    pub async fn portfolio(&self, store: &Store, owner: &Owner, now: i64) -> Result<Arc<Portfolio>, ApiError> {
        if let Some(p) = self.existing(owner) {
            return Ok(p);
        }
        let _one_at_a_time = self.opening.lock().await;
        if let Some(p) = self.existing(owner) {
            return Ok(p);
        }
        let (account_id, agent_id, starting_cash, risk) = match owner {
            Owner::Account(id) => (id.clone(), None, self.scenario.config().starting_cash, RiskProfile::default()),
            Owner::Agent { account_id, agent_id, starting_cash, risk } => {
                (account_id.clone(), Some(agent_id.clone()), *starting_cash, risk.clone())
            }
        };
        let meta = PortfolioMeta {
            id: uuid::Uuid::new_v4().to_string(),
            account_id,
            agent_id,
            starting_cash,
            risk,
            joined_step: self.revealed(),
            created_at: now,
        };
        let (m, slug) = (meta.clone(), self.scenario.config().slug.clone());
        let risk = serde_json::to_string(&m.risk).expect("risk profiles serialise");
        let (map, key, opened) = (self.portfolios.clone(), owner.key(), Arc::new(Portfolio::new(meta)));
        let known = opened.clone();
        store
            .write_then(move |conn| {
                conn.execute(
                    "INSERT INTO portfolios (id, market, account_id, agent_id, starting_cash, risk_profile, joined_step, created_at)
                     VALUES (?1, ?2, ?3, ?8, ?4, ?5, ?6, ?7)",
                    args![
                        m.id,
                        slug,
                        m.account_id,
                        m.starting_cash.to_string(),
                        risk,
                        i64::try_from(m.joined_step).unwrap_or(i64::MAX),
                        m.created_at,
                        m.agent_id
                    ],
                )
                .map(drop)
            }, move |result| {
                if result.is_ok() {
                    map.write().unwrap_or_else(|e| e.into_inner()).insert(key, known);
                }
            })
            .await
            .map_err(|e| ApiError::store(Style::Detail, &e))?;
        Ok(opened)
    }

    /// Every portfolio (for ranks).
    pub fn portfolios(&self) -> Vec<Arc<Portfolio>> {
        self.portfolios.read().unwrap_or_else(|e| e.into_inner()).values().cloned().collect()
    }

    fn fresh(&self, meta: &PortfolioMeta) -> Result<Book, EngineError> {
        let engine = Engine::new(EngineConfig::from_scenario(self.scenario.config()))?;
        let mut book = Book { engine, agent: AgentId(0), id: meta.id.clone(), seen: 0, next_seq: 1 };
        // Bars before the portfolio joined are fed first, so its equity curve starts where it joined.
        self.feed(&mut book, meta.joined_step)?;
        book.agent = book.engine.add_agent_with_cash("portfolio", meta.risk.clone(), meta.starting_cash)?;
        Ok(book)
    }

    /// Feeds the book every timestamp up to `to` (exclusive) it has not seen.
    fn feed(&self, book: &mut Book, to: usize) -> Result<(), EngineError> {
        let timeline = self.scenario.timeline();
        while book.seen < to.min(timeline.len()) {
            let t = book.seen;
            book.engine.push_slice(timeline[t], &self.scenario.bars_at(t))?;
            book.seen += 1;
        }
        Ok(())
    }

    async fn ensure_loaded(&self, store: &Store, p: &Arc<Portfolio>) -> Result<(), ApiError> {
        if p.lock().is_some() {
            return Ok(());
        }
        let _loading = p.loading.lock().await;
        if p.lock().is_some() {
            return Ok(());
        }
        let (book, last) = self.replay(store, &p.meta).await?;
        p.durable.send_modify(|d| d.0 = d.0.max(last));
        *p.lock() = Some(book);
        Ok(())
    }

    /// The portfolio rebuilt from its committed log (and the last position of that log).
    pub async fn replay(&self, store: &Store, meta: &PortfolioMeta) -> Result<(Book, i64), ApiError> {
        let id = meta.id.clone();
        let rows = store
            .read(move |conn| {
                conn.query_map(
                    "SELECT seq, at_step, command FROM portfolio_commands WHERE portfolio_id = ?1 ORDER BY seq",
                    [&id],
                    |r| {
                        Ok(LogRow {
                            seq: r.get(0)?,
                            at_step: usize::try_from(r.get::<i64>(1)?).unwrap_or(0),
                            command: r.get(2)?,
                        })
                    },
                )
            })
            .await
            .map_err(|e| ApiError::store(Style::Detail, &e))?;
        let broken = |detail: String| {
            ApiError::internal(Style::Detail, format!("cannot rebuild portfolio {}: {detail}", meta.id))
        };
        catch_unwind(AssertUnwindSafe(|| {
            let mut book = self.fresh(meta).map_err(|e| broken(e.detail))?;
            for row in rows {
                self.feed(&mut book, row.at_step).map_err(|e| broken(e.detail))?;
                let command: Command =
                    serde_json::from_str(&row.command).map_err(|e| broken(format!("command {}: {e}", row.seq)))?;
                let _ = apply(&mut book, &command);
                book.next_seq = row.seq + 1;
            }
            let last = book.next_seq - 1;
            Ok((book, last))
        }))
        .unwrap_or_else(|_| Err(broken("the engine failed during replay".into())))
    }

    /// Feeds `book` up to the revealed step.
    pub fn catch_up(&self, book: &mut Book) -> Result<(), ApiError> {
        self.feed(book, self.revealed()).map_err(|e| engine_error(&e))
    }

    /// Reads the portfolio, fed up to the revealed step.
    pub async fn read<T>(
        &self,
        store: &Store,
        p: &Arc<Portfolio>,
        f: impl FnOnce(&Book) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.ensure_loaded(store, p).await?;
        let (value, seen) = {
            let mut guard = p.lock();
            let Some(book) = guard.as_mut() else {
                return Err(ApiError::internal(Style::Detail, "the portfolio was unloaded; retry"));
            };
            let step = self.revealed();
            let seen = book.next_seq - 1;
            match catch_unwind(AssertUnwindSafe(|| {
                self.feed(book, step).map_err(|e| engine_error(&e))?;
                f(book)
            })) {
                Ok(r) => (r?, seen),
                Err(_) => {
                    *guard = None;
                    return Err(ApiError::internal(Style::Detail, "the engine failed while reading the portfolio"));
                }
            }
        };
        // Nothing that is not on disk is shown: a read waits for the commands it saw.
        wait_durable(&p.durable, seen).await.map_err(|e| ApiError::store(Style::Detail, &e))?;
        Ok(value)
    }

    /// Runs a command at the revealed step; answered once its log row is committed.
    pub async fn execute<T>(
        &self,
        store: &Store,
        p: &Arc<Portfolio>,
        command: Command,
        render: impl FnOnce(&Book, Result<Option<Order>, EngineError>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.ensure_loaded(store, p).await?;
        let (written, reply) = {
            let mut guard = p.lock();
            let Some(book) = guard.as_mut() else {
                return Err(ApiError::internal(Style::Detail, "the portfolio was unloaded; retry"));
            };
            let step = self.revealed();
            let applied = catch_unwind(AssertUnwindSafe(|| {
                self.feed(book, step)?;
                Ok::<_, EngineError>(apply(book, &command))
            }));
            let output = match applied {
                Ok(Ok(output)) => output,
                Ok(Err(e)) => return Err(engine_error(&e)),
                Err(_) => {
                    *guard = None;
                    return Err(ApiError::internal(Style::Detail, "the engine failed on this request"));
                }
            };
            let reply = render(book, output);
            let seq = book.next_seq;
            book.next_seq += 1;
            let (id, at, text) =
                (p.meta.id.clone(), book.seen, serde_json::to_string(&command).expect("commands serialise"));
            let after = p.clone();
            // Queued while the portfolio is locked, so the log keeps the order the engine saw.
            let written = store.write_then(
                move |conn| {
                    append_log(
                        conn,
                        "portfolio_commands",
                        "portfolio_id",
                        &id,
                        seq,
                        &[("at_step", "BIGINT"), ("command", "TEXT")],
                        args![i64::try_from(at).unwrap_or(i64::MAX), text],
                    )
                },
                move |result| settle(&after.book, &after.durable, seq, result),
            );
            (written, reply)
        };
        written.await.map_err(|e| ApiError::store(Style::Detail, &e))?;
        reply
    }
}

/// Applies a command; orders come back for submits and cancels.
fn apply(book: &mut Book, command: &Command) -> Result<Option<Order>, EngineError> {
    let (engine, agent) = (&mut book.engine, book.agent);
    match command {
        Command::Submit { order } => engine.submit(agent, order.clone()).map(Some),
        Command::Cancel { order_id } => engine.cancel(agent, *order_id).map(Some),
        Command::Reset => engine.reset_agent(agent).map(|()| None),
        Command::SetRisk { risk } => engine.set_risk_profile(agent, risk.clone()).map(|()| None),
    }
}
