//! Durable storage: one SQLite file in WAL mode (or a PostgreSQL database), written by one thread
//! that commits the writes waiting for it together (group commit) and acknowledges each only once
//! its transaction is on disk.
//!
//! Every write is a closure run inside a savepoint of the batch's transaction, so one failing write
//! rolls back alone while the others of its batch commit. Reads that must see every write queued
//! before them (rebuilding a run from its command log) go through the same thread.

use std::cell::RefCell;
use std::sync::{Mutex, MutexGuard, mpsc};
use std::thread;

use tokio::sync::oneshot;

use crate::db::{Db, DbError, DbResult, Location, OptionalExt as _, UNIQUE_VIOLATION, pg};

/// A storage failure (the database could not be opened, written or read).
#[derive(Debug, Clone, thiserror::Error)]
#[error("storage: {0}")]
pub struct StoreError(pub String);

impl From<DbError> for StoreError {
    fn from(e: DbError) -> Self {
        StoreError(e.to_string())
    }
}

impl StoreError {
    /// Whether a uniqueness constraint refused the write (a handle, a slug already taken).
    pub fn is_unique_violation(&self) -> bool {
        self.0.starts_with(UNIQUE_VIOLATION)
    }
}

type WriteFn = Box<dyn FnOnce(&Db) -> DbResult<()> + Send>;
type AfterFn = Box<dyn FnOnce(&Result<(), StoreError>) + Send>;
type ReadFn = Box<dyn FnOnce(&Db) + Send>;

/// A write, what to do in memory once its outcome is known, and who waits for it.
struct Write {
    run: WriteFn,
    after: AfterFn,
    ack: oneshot::Sender<Result<(), StoreError>>,
}

enum Job {
    Write(Write),
    Read(ReadFn),
}

/// Most writes committed in one transaction.
const MAX_BATCH: usize = 4096;

/// Schema version, kept in `PRAGMA user_version` (SQLite) or the `schema_version` setting.
const SCHEMA_VERSION: i64 = 1;

/// The tables, in SQLite's words; [`schema`] gives PostgreSQL's (64-bit integers, `COALESCE`, and
/// an explicit `rowid` where rows are listed in insertion order).
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    plan TEXT NOT NULL,
    handle TEXT UNIQUE,
    billing_email TEXT,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    agent_id TEXT,
    label TEXT,
    preview TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    last_used_at INTEGER,
    key_sealed TEXT
);
CREATE TABLE IF NOT EXISTS agents (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    display_name TEXT NOT NULL,
    starting_balance TEXT NOT NULL,
    llm_model TEXT,
    framework TEXT,
    strategy_tags TEXT NOT NULL,
    risk_profile TEXT NOT NULL,
    color TEXT,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    agent_id TEXT,
    key_id TEXT NOT NULL,
    scenario_slug TEXT NOT NULL,
    bot_name TEXT,
    agent_info TEXT,
    risk_profile TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    published_at INTEGER,
    results TEXT,
    scenario_fingerprint TEXT
);
CREATE TABLE IF NOT EXISTS run_usage (
    account_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS run_usage_by_account ON run_usage(account_id, created_at);
CREATE TABLE IF NOT EXISTS run_commands (
    run_id TEXT NOT NULL REFERENCES runs(id),
    seq INTEGER NOT NULL,
    command TEXT NOT NULL,
    idem_key TEXT,
    request_hash TEXT,
    status INTEGER,
    response TEXT,
    PRIMARY KEY (run_id, seq)
);
CREATE TABLE IF NOT EXISTS markets (
    slug TEXT PRIMARY KEY,
    step INTEGER NOT NULL,
    fingerprint TEXT
);
CREATE TABLE IF NOT EXISTS portfolios (
    {ROWID}id TEXT PRIMARY KEY,
    market TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    agent_id TEXT,
    starting_cash TEXT NOT NULL,
    risk_profile TEXT NOT NULL,
    joined_step INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS portfolios_one_per_owner ON portfolios(market, account_id, IFNULL(agent_id, ''));
CREATE TABLE IF NOT EXISTS portfolio_commands (
    portfolio_id TEXT NOT NULL REFERENCES portfolios(id),
    seq INTEGER NOT NULL,
    at_step INTEGER NOT NULL,
    command TEXT NOT NULL,
    PRIMARY KEY (portfolio_id, seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS run_commands_idem ON run_commands(run_id, idem_key) WHERE idem_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS journal_bots (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS journal_trades (
    {ROWID}id TEXT PRIMARY KEY,
    bot_id TEXT NOT NULL REFERENCES journal_bots(id),
    symbol TEXT NOT NULL,
    trade_type TEXT NOT NULL,
    status TEXT NOT NULL,
    signal_at INTEGER NOT NULL,
    opened_at INTEGER NOT NULL,
    notes TEXT,
    metadata TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_update_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS journal_trades_bot ON journal_trades(bot_id, created_at);
CREATE TABLE IF NOT EXISTS servers (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    backend_pid INTEGER NOT NULL,
    started_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS journal_transactions (
    trade_id TEXT NOT NULL REFERENCES journal_trades(id),
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (trade_id, seq)
);
";

/// The schema for one backend.
fn schema(postgres: bool) -> String {
    if postgres {
        SCHEMA
            .replace("{ROWID}", "rowid BIGSERIAL,\n    ")
            .replace(" INTEGER", " BIGINT")
            .replace("IFNULL(", "COALESCE(")
    } else {
        SCHEMA.replace("{ROWID}", "")
    }
}

/// The PostgreSQL advisory lock a serving process holds on its database.
const SERVING_LOCK: i64 = 0x7665_6374_7261_6465; // "vectrade"

/// Makes this process the only one serving the database (another would serve from memory what
/// it did not see written): a lock on `<db>.lock` beside an SQLite file, an advisory lock of the
/// connection on PostgreSQL. A process killed a moment ago may hold it for a few milliseconds
/// more: waits up to 5 s.
fn serving_lock(location: &Location, db: &Db, shared: bool) -> Result<Option<std::fs::File>, StoreError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let file = match location {
        Location::Sqlite(path) => {
            let mut name = path.as_os_str().to_owned();
            name.push(".lock");
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&name)
                .map_err(|e| StoreError(format!("cannot open {}: {e}", name.to_string_lossy())))?;
            Some(file)
        }
        Location::Postgres(_) => None,
    };
    loop {
        let held = match &file {
            Some(f) => match f.try_lock() {
                Ok(()) => true,
                Err(std::fs::TryLockError::WouldBlock) => false,
                Err(std::fs::TryLockError::Error(e)) => return Err(StoreError(format!("cannot lock {location}: {e}"))),
            },
            // Shared servers hold it together; a server on its own, alone.
            None if shared => {
                db.query_row("SELECT pg_try_advisory_lock_shared(?1)", [SERVING_LOCK], |r| r.get::<bool>(0))?
            }
            None => db.query_row("SELECT pg_try_advisory_lock(?1)", [SERVING_LOCK], |r| r.get::<bool>(0))?,
        };
        if held {
            return Ok(file);
        }
        if std::time::Instant::now() > deadline {
            return Err(StoreError(if shared {
                format!(
                    "a vectrade-server without --shared is serving {location}; stop it or start it with --shared too"
                )
            } else {
                format!(
                    "another vectrade-server is serving {location}; one process serves a database at a time \
                     (on PostgreSQL, start every process with --shared to share it)"
                )
            }));
        }
        thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The handle every part of the server writes and reads through; cheap to clone.
#[derive(Clone)]
pub struct Store {
    jobs: mpsc::Sender<Job>,
    readers: std::sync::Arc<Readers>,
}

/// Connections for reads of committed state, beside the writer (at most [`MAX_READERS`] open).
struct Readers {
    location: Location,
    idle: Mutex<Vec<Db>>,
    permits: tokio::sync::Semaphore,
}

/// Most connections reading at once.
const MAX_READERS: usize = 8;

impl Store {
    /// Opens (creating if needed) the database at `location` and starts its writer thread.
    /// `shared`: other processes serve the same (PostgreSQL) database too (see `cluster.rs`).
    pub fn open(location: &Location, shared: bool) -> Result<Store, StoreError> {
        let db = connect(location)?;
        let postgres = matches!(db, Db::Postgres(_));
        if shared && !postgres {
            return Err(StoreError(format!(
                "--shared needs a PostgreSQL database: several processes cannot share the SQLite file {location}"
            )));
        }
        let lock = serving_lock(location, &db, shared)?;
        let version: i64 = if postgres {
            db.execute_batch("CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)")?;
            setting(&db, "schema_version")?.and_then(|v| v.parse().ok()).unwrap_or(0)
        } else {
            db.query_row("PRAGMA user_version", [0i64; 0], |r| r.get(0))?
        };
        if version > SCHEMA_VERSION {
            return Err(StoreError(format!(
                "{location} was written by a newer server (schema {version}, this one knows {SCHEMA_VERSION})"
            )));
        }
        db.execute_batch(&schema(postgres))?;
        if postgres {
            db.execute(
                "INSERT INTO settings (name, value) VALUES ('schema_version', ?1)
                 ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                [SCHEMA_VERSION.to_string()],
            )?;
        } else {
            db.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))?;
            // Checkpoints move off the writer: an automatic one runs inside the commit that
            // crosses its threshold and stalls every write waiting behind it.
            db.execute_batch("PRAGMA wal_autocheckpoint = 0")?;
            let checkpoints = connect(location)?;
            thread::Builder::new()
                .name("vectrade-checkpoint".into())
                .spawn(move || checkpointer(checkpoints))
                .map_err(|e| StoreError(format!("cannot start the checkpoint thread: {e}")))?;
        }
        let (jobs, rx) = mpsc::channel();
        let location_for_readers = location.clone();
        let location = location.clone();
        thread::Builder::new()
            .name("vectrade-store".into())
            .spawn(move || {
                let _held = lock;
                writer(db, &location, shared, rx)
            })
            .map_err(|e| StoreError(format!("cannot start the writer thread: {e}")))?;
        let readers = Readers {
            location: location_for_readers,
            idle: Mutex::new(Vec::new()),
            permits: tokio::sync::Semaphore::new(MAX_READERS),
        };
        Ok(Store { jobs, readers: std::sync::Arc::new(readers) })
    }

    /// Queues a write; the returned future resolves once it is committed (or failed). Writes are
    /// committed in the order they were queued.
    pub fn write<F>(&self, f: F) -> impl Future<Output = Result<(), StoreError>> + use<F>
    where
        F: FnOnce(&Db) -> DbResult<()> + Send + 'static,
    {
        self.write_then(f, |_| {})
    }

    /// [`Store::write`], and `after` runs on the writer thread as soon as the write's outcome is
    /// known, before anyone is answered: memory follows the disk even if the request that asked
    /// for the write is cancelled meanwhile (a client that hangs up, a timeout).
    pub fn write_then<F, A>(&self, f: F, after: A) -> impl Future<Output = Result<(), StoreError>> + use<F, A>
    where
        F: FnOnce(&Db) -> DbResult<()> + Send + 'static,
        A: FnOnce(&Result<(), StoreError>) + Send + 'static,
    {
        let (ack, done) = oneshot::channel();
        let job = Job::Write(Write { run: Box::new(f), after: Box::new(after), ack });
        let sent = match self.jobs.send(job) {
            Ok(()) => true,
            Err(mpsc::SendError(job)) => {
                if let Job::Write(w) = job {
                    (w.after)(&Err(StoreError("the writer thread has stopped".into())));
                }
                false
            }
        };
        async move {
            if !sent {
                return Err(StoreError("the writer thread has stopped".into()));
            }
            done.await.unwrap_or_else(|_| Err(StoreError("the writer thread has stopped".into())))
        }
    }

    /// Reads what is committed, on a connection of its own: it waits for no write. Whatever was
    /// acknowledged is there (an answer follows its commit).
    pub async fn read_committed<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Db) -> DbResult<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let _permit = self.readers.permits.acquire().await.map_err(|_| StoreError("the store is closed".into()))?;
        let readers = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let db = readers.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let db = match db {
                Some(db) => db,
                None => connect(&readers.location)?,
            };
            let result = f(&db).map_err(StoreError::from);
            // A connection that failed may be broken: it is not kept.
            if result.is_ok() {
                readers.idle.lock().unwrap_or_else(|e| e.into_inner()).push(db);
            }
            result
        })
        .await
        .map_err(|e| StoreError(format!("a read stopped: {e}")))?
    }

    /// Reads after every write queued before it has been committed.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Db) -> DbResult<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = oneshot::channel();
        let job = Job::Read(Box::new(move |db| {
            let _ = tx.send(f(db).map_err(StoreError::from));
        }));
        self.jobs.send(job).map_err(|_| StoreError("the writer thread has stopped".into()))?;
        rx.await.unwrap_or_else(|_| Err(StoreError("the writer thread has stopped".into())))
    }
}

/// Opens a connection with the server's settings. SQLite: WAL, full fsync at commit, foreign
/// keys. PostgreSQL: a commit waits for its WAL record on disk (`synchronous_commit = on`).
/// Blocks: call it off the async runtime (PostgreSQL's client runs its own).
pub fn connect(location: &Location) -> Result<Db, StoreError> {
    match location {
        Location::Sqlite(path) => {
            let conn = rusqlite::Connection::open(path)
                .map_err(|e| StoreError(format!("cannot open {}: {e}", path.display())))?;
            // FULL: a commit is on disk (not only in the OS cache) before it is acknowledged.
            conn.execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
            )
            .map_err(DbError::from)?;
            Ok(Db::Sqlite(conn))
        }
        Location::Postgres(url) => {
            let conn = pg::Conn::connect(url).map_err(|e| StoreError(format!("cannot connect to {location}: {e}")))?;
            let db = Db::Postgres(Box::new(RefCell::new(conn)));
            db.execute_batch("SET synchronous_commit = on")?;
            Ok(db)
        }
    }
}

/// Copies committed pages from the WAL into the database once a second, without blocking writers
/// (PASSIVE); the WAL is then reused from its start.
fn checkpointer(db: Db) {
    loop {
        thread::sleep(std::time::Duration::from_secs(1));
        let _ = db.query_row("PRAGMA wal_checkpoint(PASSIVE)", [0i64; 0], |_| Ok(()));
    }
}

fn writer(mut db: Db, location: &Location, shared: bool, rx: mpsc::Receiver<Job>) {
    let mut writes: Vec<Write> = Vec::new();
    while let Ok(first) = rx.recv() {
        reconnect_if_lost(&mut db, location, shared);
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        for job in batch {
            match job {
                Job::Write(w) => writes.push(w),
                Job::Read(f) => {
                    commit(&db, &mut writes);
                    f(&db);
                }
            }
        }
        commit(&db, &mut writes);
    }
}

/// A PostgreSQL connection that dropped (the database restarted, an administrator ended it) is
/// opened again before the next batch; the writes of the batch that met the drop failed and were
/// not acknowledged. The serving lock went with the old connection: if another process took it
/// meanwhile, this one stops (it would serve from memory what the other writes).
fn reconnect_if_lost(db: &mut Db, location: &Location, shared: bool) {
    let Db::Postgres(conn) = db else { return };
    if !conn.get_mut().client.is_closed() {
        return;
    }
    if shared {
        // The accounts' locks went with the connection: others may be serving them already.
        eprintln!("error: the connection to {location} dropped, and with it this server's accounts; stopping");
        std::process::exit(1);
    }
    let Ok(fresh) = connect(location) else { return };
    match fresh.query_row("SELECT pg_try_advisory_lock(?1)", [SERVING_LOCK], |r| r.get::<bool>(0)) {
        Ok(true) => *db = fresh,
        Ok(false) => {
            eprintln!("error: another vectrade-server took {location} while the connection was down; stopping");
            std::process::exit(1);
        }
        Err(_) => {}
    }
}

/// Runs the queued writes in one transaction, each in its own savepoint, then lets each one's
/// `after` see its outcome and acknowledges it.
fn commit(db: &Db, writes: &mut Vec<Write>) {
    if writes.is_empty() {
        return;
    }
    let finish = |w: Write, result: Result<(), StoreError>| {
        (w.after)(&result);
        let _ = w.ack.send(result);
    };
    if let Err(e) = db.begin() {
        let e = StoreError::from(e);
        for w in writes.drain(..) {
            finish(w, Err(e.clone()));
        }
        return;
    }
    let mut done = Vec::with_capacity(writes.len());
    // The savepoint of a write that succeeded is released together with the next one's opening
    // (one round trip to PostgreSQL, not two); COMMIT releases the last.
    let mut open = false;
    for mut w in writes.drain(..) {
        let run = std::mem::replace(&mut w.run, Box::new(|_| Ok(())));
        let opened = db.execute_batch(if open { "RELEASE w; SAVEPOINT w" } else { "SAVEPOINT w" });
        open = opened.is_ok();
        let result = opened.and_then(|()| match run(db) {
            Ok(()) => Ok(()),
            Err(e) => {
                open = false;
                db.execute_batch("ROLLBACK TO w; RELEASE w")?;
                Err(e)
            }
        });
        done.push((w, result.map_err(StoreError::from)));
    }
    match db.execute_batch("COMMIT") {
        Ok(()) => {
            for (w, result) in done {
                finish(w, result);
            }
        }
        Err(e) => {
            let e = StoreError::from(e);
            let _ = db.execute_batch("ROLLBACK");
            for (w, _) in done {
                finish(w, Err(e.clone()));
            }
        }
    }
}

/// A setting stored in the database, if present.
pub fn setting(db: &Db, name: &str) -> DbResult<Option<String>> {
    db.query_row("SELECT value FROM settings WHERE name = ?1", [name], |r| r.get(0)).optional()
}

/// How far a log (a run's, a portfolio's) is on disk: (highest committed position, writes that
/// failed so far). Set by the writer thread's after-commit hooks.
pub type Durable = tokio::sync::watch::Sender<(i64, u64)>;

/// Waits until `durable` reaches log position `seq`; an error if a write failed meanwhile (then
/// the position was not saved) or the disk does not answer within 20 s.
pub async fn wait_durable(durable: &Durable, seq: i64) -> Result<(), StoreError> {
    let mut rx = durable.subscribe();
    let failures = rx.borrow().1;
    let waited =
        tokio::time::timeout(std::time::Duration::from_secs(20), rx.wait_for(|d| d.0 >= seq || d.1 != failures));
    match waited.await {
        Ok(Ok(d)) if d.0 >= seq => Ok(()),
        _ => Err(StoreError("an earlier write this answer depends on was not saved".into())),
    }
}

/// Appends row `seq` of `owner`'s log in `table` (its rows keyed by `owner_column` and `seq`;
/// `columns` the other columns with their SQL types, `values` theirs) only if the log ends right
/// before it — in one statement. After a failed write, the commands applied on top of it in
/// memory fail too instead of leaving a gap that a replay would close differently.
pub fn append_log(
    db: &Db,
    table: &str,
    owner_column: &str,
    owner: &str,
    seq: i64,
    columns: &[(&str, &str)],
    values: Vec<crate::db::Value>,
) -> DbResult<()> {
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let casts: Vec<String> =
        columns.iter().enumerate().map(|(i, (_, ty))| format!("CAST(?{} AS {ty})", i + 3)).collect();
    let sql = format!(
        "INSERT INTO {table} ({owner_column}, seq, {}) SELECT CAST(?1 AS TEXT), CAST(?2 AS BIGINT), {}
         WHERE (SELECT COALESCE(MAX(seq), 0) FROM {table} WHERE {owner_column} = CAST(?1 AS TEXT)) = CAST(?2 AS BIGINT) - 1",
        names.join(", "),
        casts.join(", ")
    );
    let mut args = vec![crate::db::Value::Text(owner.to_string()), crate::db::Value::Int(seq)];
    args.extend(values);
    if db.execute(&sql, args)? == 0 {
        return Err(DbError::other(format!(
            "command {seq} of {owner} does not follow the log's last one (a write before it failed)"
        )));
    }
    Ok(())
}

/// The state rebuilt from a log, locked; a lock poisoned by a panic drops the state, to be
/// rebuilt from what was committed.
pub fn lock_state<T>(state: &Mutex<Option<T>>) -> MutexGuard<'_, Option<T>> {
    match state.lock() {
        Ok(g) => g,
        Err(poisoned) => {
            let mut g = poisoned.into_inner();
            *g = None;
            state.clear_poison();
            g
        }
    }
}

/// What a log append's outcome means for memory: committed, position `seq` is durable; failed,
/// the state (ahead of the disk) is dropped to be rebuilt, and waiters learn that a write failed.
pub fn settle<T>(state: &Mutex<Option<T>>, durable: &Durable, seq: i64, result: &Result<(), StoreError>) {
    match result {
        Ok(()) => durable.send_modify(|d| d.0 = d.0.max(seq)),
        Err(_) => {
            *lock_state(state) = None;
            durable.send_modify(|d| d.1 += 1);
        }
    }
}
