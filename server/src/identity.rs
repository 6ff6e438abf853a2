//! Accounts and their keys: who a request comes from. Keys are random, shown once, and kept only
//! as SHA-256 hashes; the whole directory sits in memory (loaded at start, written through the store).

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, RwLock};

use crate::db::Db;
use sha2::{Digest, Sha256};

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// An account's own API key (benchmark routes; with the secret, login).
    Account,
    /// A bot key (`tvt_…`): trades the account's bot portfolio on the bot routes, nothing else.
    Bot,
    /// An agent's key (`ak_live_…`): trades that agent's isolated balance under its risk profile,
    /// on the bot and benchmark routes.
    Agent,
}

impl KeyKind {
    fn as_str(self) -> &'static str {
        match self {
            KeyKind::Account => "account",
            KeyKind::Bot => "bot",
            KeyKind::Agent => "agent",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "account" => Some(KeyKind::Account),
            "bot" => Some(KeyKind::Bot),
            "agent" => Some(KeyKind::Agent),
            _ => None,
        }
    }
}

/// A plan, with its monthly run quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// 25 benchmark runs per UTC month, 1 bot key.
    Free,
    /// VecTrade's Standard plan: 5 bot keys; benchmark runs as Free.
    Standard,
    /// Pro (VecTrade's Professional): 200 benchmark runs per UTC month, 25 bot keys, a handle.
    Pro,
}

impl Plan {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Standard => "standard",
            Plan::Pro => "pro",
        }
    }

    /// The name the bot API shows (`Free`, `Standard`, `Professional`).
    pub fn display(self) -> &'static str {
        match self {
            Plan::Free => "Free",
            Plan::Standard => "Standard",
            Plan::Pro => "Professional",
        }
    }

    /// Parses a wire name (case-insensitive; `professional` is `pro`).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "free" => Some(Plan::Free),
            "standard" => Some(Plan::Standard),
            "pro" | "professional" => Some(Plan::Pro),
            _ => None,
        }
    }

    /// Benchmark runs per UTC month.
    pub fn monthly_runs(self) -> usize {
        match self {
            Plan::Free | Plan::Standard => 25,
            Plan::Pro => 200,
        }
    }

    /// Live bot keys at once.
    pub fn bot_keys(self) -> usize {
        match self {
            Plan::Free => 1,
            Plan::Standard => 5,
            Plan::Pro => 25,
        }
    }
}

/// An account.
#[derive(Debug, Clone)]
pub struct Account {
    /// UUID.
    pub id: String,
    /// Name shown on the leaderboard when no handle is set.
    pub display_name: String,
    /// Billing plan.
    pub plan: Plan,
    /// Leaderboard handle (Pro only).
    pub handle: Option<String>,
    /// Billing e-mail, if given.
    pub billing_email: Option<String>,
    /// SHA-256 of the API secret.
    pub secret_hash: String,
    /// Creation time (UTC ms).
    pub created_at: i64,
}

/// A key as the directory keeps it (never the key itself).
#[derive(Debug, Clone)]
pub struct KeyRecord {
    /// UUID of the key.
    pub id: String,
    /// What it may do.
    pub kind: KeyKind,
    /// Owner.
    pub account_id: String,
    /// The agent an agent key trades for.
    pub agent_id: Option<String>,
    /// First characters of the key, for lists.
    pub preview: String,
    /// The owner's label (bot keys).
    pub label: Option<String>,
    /// Creation time (UTC ms).
    pub created_at: i64,
    /// Set once revoked; a revoked key authenticates nothing.
    pub revoked: bool,
}

/// The caller of a request, once its key checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The account that owns the key.
    pub account_id: String,
    /// The key's id.
    pub key_id: String,
    /// With an agent's key: the agent, whose balance and risk profile apply.
    pub agent_id: Option<String>,
}

/// Accounts and keys in memory.
#[derive(Default)]
pub struct Directory {
    accounts: RwLock<HashMap<String, Account>>,
    keys: RwLock<HashMap<String, KeyRecord>>,
    /// Last use of each key (UTC ms), written to the database now and then (`flush_last_used`).
    last_used: Mutex<HashMap<String, i64>>,
    /// Keys used since the last flush.
    used_since_flush: Mutex<HashSet<String>>,
}

/// SHA-256 of a key or secret, lowercase hex: how keys are stored and looked up.
pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A random token: `prefix` then `len` base-62 characters from the OS's generator.
pub fn random_token(prefix: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = String::with_capacity(prefix.len() + len);
    out.push_str(prefix);
    while out.len() < prefix.len() + len {
        let mut bytes = [0u8; 64];
        getrandom::fill(&mut bytes).expect("the operating system's random generator is available");
        // 248 = 4 × 62: rejecting larger bytes keeps every character equally likely.
        for b in bytes.into_iter().filter(|&b| b < 248) {
            if out.len() == prefix.len() + len {
                break;
            }
            out.push(char::from(ALPHABET[usize::from(b % 62)]));
        }
    }
    out
}

const ACCOUNT_COLUMNS: &str = "id, display_name, plan, handle, billing_email, secret_hash, created_at";

fn account_row(r: &crate::db::Row<'_>) -> crate::db::DbResult<Account> {
    Ok(Account {
        id: r.get(0)?,
        display_name: r.get(1)?,
        plan: Plan::parse(&r.get::<String>(2)?).unwrap_or(Plan::Free),
        handle: r.get(3)?,
        billing_email: r.get(4)?,
        secret_hash: r.get(5)?,
        created_at: r.get(6)?,
    })
}

/// An account as stored now (the operator may have changed its plan while the server runs).
pub fn read_account(conn: &Db, id: &str) -> crate::db::DbResult<Option<Account>> {
    use crate::db::OptionalExt as _;
    conn.query_row(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1"), [id], account_row).optional()
}

impl Directory {
    /// Loads every account and key from the database.
    pub fn load(conn: &Db) -> crate::db::DbResult<Directory> {
        let dir = Directory::default();
        let accounts =
            conn.query_map(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts"), crate::args![], account_row)?;
        dir.accounts.write().expect("fresh lock").extend(accounts.into_iter().map(|a| (a.id.clone(), a)));
        dir.insert_keys(Directory::load_keys(conn, None)?);
        Ok(dir)
    }

    /// The keys of one account, or of all: (hash, record, last use).
    pub fn load_keys(conn: &Db, account: Option<&str>) -> crate::db::DbResult<Vec<(String, KeyRecord, Option<i64>)>> {
        conn.query_map(
            "SELECT id, key_hash, kind, account_id, preview, label, created_at, revoked_at IS NOT NULL, last_used_at, agent_id
             FROM api_keys WHERE CAST(?1 AS TEXT) IS NULL OR account_id = ?1",
            crate::args![account],
            |r| {
                let kind: String = r.get(2)?;
                Ok((
                    r.get::<String>(1)?,
                    KeyRecord {
                        id: r.get(0)?,
                        kind: KeyKind::parse(&kind).unwrap_or(KeyKind::Account),
                        account_id: r.get(3)?,
                        agent_id: r.get(9)?,
                        preview: r.get(4)?,
                        label: r.get(5)?,
                        created_at: r.get(6)?,
                        revoked: r.get(7)?,
                    },
                    r.get::<Option<i64>>(8)?,
                ))
            },
        )
    }

    fn insert_keys(&self, rows: Vec<(String, KeyRecord, Option<i64>)>) {
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        let mut used = self.last_used.lock().unwrap_or_else(|e| e.into_inner());
        for (hash, record, last_used) in rows {
            if let Some(t) = last_used {
                used.insert(record.id.clone(), t);
            }
            keys.insert(hash, record);
        }
    }

    /// Replaces what memory holds of one account with what the database holds (a process that
    /// takes over an account, `--shared`).
    pub fn replace_account(&self, id: &str, account: Option<Account>, keys: Vec<(String, KeyRecord, Option<i64>)>) {
        {
            let mut accounts = self.accounts.write().unwrap_or_else(|e| e.into_inner());
            accounts.remove(id);
            if let Some(a) = account {
                accounts.insert(a.id.clone(), a);
            }
        }
        self.keys.write().unwrap_or_else(|e| e.into_inner()).retain(|_, k| k.account_id != id);
        self.insert_keys(keys);
    }

    /// The account a key (by hash) belongs to, revoked or not, if this directory knows it.
    pub fn account_of_key(&self, key_hash: &str) -> Option<String> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).get(key_hash).map(|k| k.account_id.clone())
    }

    /// Number of accounts.
    pub fn account_count(&self) -> usize {
        self.accounts.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// An account by id.
    pub fn account(&self, id: &str) -> Option<Account> {
        self.accounts.read().unwrap_or_else(|e| e.into_inner()).get(id).cloned()
    }

    /// The account whose secret hashes to `secret_hash`.
    pub fn account_by_secret(&self, secret_hash: &str) -> Option<Account> {
        self.accounts.read().unwrap_or_else(|e| e.into_inner()).values().find(|a| a.secret_hash == secret_hash).cloned()
    }

    /// The account holding a handle, if any.
    pub fn account_by_handle(&self, handle: &str) -> Option<Account> {
        self.accounts
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .find(|a| a.handle.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(handle)))
            .cloned()
    }

    /// Adds or replaces an account (after its row is committed).
    pub fn put_account(&self, account: Account) {
        self.accounts.write().unwrap_or_else(|e| e.into_inner()).insert(account.id.clone(), account);
    }

    /// Adds a key (after its row is committed).
    pub fn put_key(&self, key_hash: String, record: KeyRecord) {
        self.keys.write().unwrap_or_else(|e| e.into_inner()).insert(key_hash, record);
    }

    /// The live key with this hash, of one of `kinds`.
    pub fn key(&self, key_hash: &str, kinds: &[KeyKind]) -> Option<KeyRecord> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        keys.get(key_hash).filter(|k| !k.revoked && kinds.contains(&k.kind)).cloned()
    }

    /// The account's keys of `kind` (revoked ones too), oldest first.
    pub fn keys_of(&self, account_id: &str, kind: KeyKind) -> Vec<KeyRecord> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<KeyRecord> =
            keys.values().filter(|k| k.account_id == account_id && k.kind == kind).cloned().collect();
        out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
        out
    }

    /// The live key of an agent, if any.
    pub fn agent_key(&self, agent_id: &str) -> Option<KeyRecord> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        keys.values().find(|k| k.agent_id.as_deref() == Some(agent_id) && !k.revoked).cloned()
    }

    /// Revokes every live key of an agent (after the write that revoked them is committed).
    pub fn revoke_agent_keys(&self, agent_id: &str) {
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        for k in keys.values_mut().filter(|k| k.agent_id.as_deref() == Some(agent_id)) {
            k.revoked = true;
        }
    }

    /// Forgets every key of an agent (after its rows are deleted).
    pub fn forget_agent(&self, agent_id: &str) {
        self.keys.write().unwrap_or_else(|e| e.into_inner()).retain(|_, k| k.agent_id.as_deref() != Some(agent_id));
    }

    /// Marks a key revoked (after its row is committed); it authenticates nothing from now on.
    pub fn revoke(&self, key_id: &str) {
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        for k in keys.values_mut().filter(|k| k.id == key_id) {
            k.revoked = true;
        }
    }

    /// Notes that a key was used at `now`.
    pub fn touch(&self, key_id: &str, now: i64) {
        self.last_used.lock().unwrap_or_else(|e| e.into_inner()).insert(key_id.to_string(), now);
        self.used_since_flush.lock().unwrap_or_else(|e| e.into_inner()).insert(key_id.to_string());
    }

    /// When a key was last used.
    pub fn last_used(&self, key_id: &str) -> Option<i64> {
        self.last_used.lock().unwrap_or_else(|e| e.into_inner()).get(key_id).copied()
    }

    /// The last uses noted since the previous call, to be written to the database.
    pub fn take_last_used(&self) -> Vec<(String, i64)> {
        let ids: Vec<String> = self.used_since_flush.lock().unwrap_or_else(|e| e.into_inner()).drain().collect();
        let used = self.last_used.lock().unwrap_or_else(|e| e.into_inner());
        ids.into_iter().filter_map(|id| used.get(&id).map(|&t| (id, t))).collect()
    }
}

/// A new key for an existing account: the row to insert and the key itself (shown once).
pub struct NewKey {
    /// The record.
    pub record: KeyRecord,
    /// SHA-256 of the key.
    pub key_hash: String,
    /// The key itself.
    pub key: String,
    /// For agent keys: the key sealed by the vault (stored, so it can be given back).
    pub sealed: Option<String>,
}

impl NewKey {
    /// Draws a bot key (`tvt_` and 40 random characters).
    pub fn bot(account_id: &str, label: Option<String>, now: i64) -> NewKey {
        let key = random_token("tvt_", 40);
        let record = KeyRecord {
            id: uuid::Uuid::new_v4().to_string(),
            kind: KeyKind::Bot,
            account_id: account_id.to_string(),
            agent_id: None,
            preview: key.chars().take(12).collect(),
            label,
            created_at: now,
            revoked: false,
        };
        NewKey { key_hash: hash_secret(&key), record, key, sealed: None }
    }

    /// Draws an agent's key (`ak_live_` and 40 random characters), sealed so it can be given back.
    pub fn agent(account_id: &str, agent_id: &str, vault: &crate::vault::Vault, now: i64) -> NewKey {
        let key = random_token("ak_live_", 40);
        let record = KeyRecord {
            id: uuid::Uuid::new_v4().to_string(),
            kind: KeyKind::Agent,
            account_id: account_id.to_string(),
            agent_id: Some(agent_id.to_string()),
            preview: key.chars().take(12).collect(),
            label: None,
            created_at: now,
            revoked: false,
        };
        NewKey { key_hash: hash_secret(&key), sealed: Some(vault.seal(&key)), record, key }
    }

    /// Inserts the key's row.
    pub fn insert(&self, conn: &Db) -> crate::db::DbResult<()> {
        insert_key(conn, &self.record, &self.key_hash, self.sealed.as_deref())
    }
}

fn insert_key(conn: &Db, k: &KeyRecord, key_hash: &str, sealed: Option<&str>) -> crate::db::DbResult<()> {
    conn.execute(
        "INSERT INTO api_keys (id, key_hash, kind, account_id, agent_id, label, preview, created_at, key_sealed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        crate::args![
            k.id,
            key_hash,
            k.kind.as_str(),
            k.account_id,
            k.agent_id,
            k.label,
            k.preview,
            k.created_at,
            sealed
        ],
    )
    .map(drop)
}

/// A new account with its key: the rows to insert and what the caller is shown once.
pub struct NewAccount {
    /// The account.
    pub account: Account,
    /// Its API key record.
    pub key: KeyRecord,
    /// SHA-256 of the key.
    pub key_hash: String,
    /// The key itself (shown once).
    pub api_key: String,
    /// The secret itself (shown once).
    pub api_secret: String,
}

impl NewAccount {
    /// Draws a fresh account, key and secret.
    pub fn generate(display_name: &str, now: i64) -> NewAccount {
        let api_key = random_token("ak_live_", 40);
        let api_secret = random_token("sk_live_", 48);
        let id = uuid::Uuid::new_v4().to_string();
        let account = Account {
            id: id.clone(),
            display_name: display_name.to_string(),
            plan: Plan::Free,
            handle: None,
            billing_email: None,
            secret_hash: hash_secret(&api_secret),
            created_at: now,
        };
        let key = KeyRecord {
            id: uuid::Uuid::new_v4().to_string(),
            kind: KeyKind::Account,
            account_id: id,
            agent_id: None,
            preview: api_key.chars().take(12).collect(),
            label: None,
            created_at: now,
            revoked: false,
        };
        NewAccount { account, key, key_hash: hash_secret(&api_key), api_key, api_secret }
    }

    /// Inserts the account and its key.
    pub fn insert(&self, conn: &Db) -> crate::db::DbResult<()> {
        let a = &self.account;
        conn.execute(
            "INSERT INTO accounts (id, display_name, plan, handle, billing_email, secret_hash, created_at)
             VALUES (?1, ?2, ?3, NULL, NULL, ?4, ?5)",
            crate::args![a.id, a.display_name, a.plan.as_str(), a.secret_hash, a.created_at],
        )?;
        conn.execute(
            "INSERT INTO api_keys (id, key_hash, kind, account_id, agent_id, label, preview, created_at)
             VALUES (?1, ?2, ?3, ?4, NULL, NULL, ?5, ?6)",
            crate::args![self.key.id, self.key_hash, self.key.kind.as_str(), a.id, self.key.preview, a.created_at],
        )?;
        Ok(())
    }

    /// Makes the account and key known to the directory.
    pub fn publish(&self, dir: &Directory) {
        dir.put_key(self.key_hash.clone(), self.key.clone());
        dir.put_account(self.account.clone());
    }
}
