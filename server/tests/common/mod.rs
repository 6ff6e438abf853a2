//! Starts the real `vectrade-server` binary on a free port with a fresh database, reads the
//! credentials it prints on first start, and kills it when dropped.
//!
//! With `VECTRADE_TEST_POSTGRES` set to a PostgreSQL server's URL (a role that may create
//! databases), every test runs on PostgreSQL instead of SQLite: the path a test names stands for a
//! database of its own on that server (the same path, the same database: restarts find their data).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::Value;

pub struct Server {
    pub child: Child,
    pub base: String,
    pub api_key: Option<String>,
    pub api_secret: Option<String>,
    pub account_id: Option<String>,
    pub bot_key: Option<String>,
    pub operator_token: String,
    pub db: PathBuf,
    /// What `--db` was given: the path, or the URL of the database that stands for it.
    pub db_arg: String,
    pub http: Client,
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vectrade-server-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    if let Some(admin) = postgres_url() {
        // A fresh directory, a fresh database.
        let mut client = postgres::Client::connect(&admin, postgres::NoTls).expect("the test PostgreSQL answers");
        let name = database_name(&dir.join("vectrade.db"));
        client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).unwrap();
    }
    dir
}

/// The PostgreSQL server the tests run on, if any (`VECTRADE_TEST_POSTGRES`).
pub fn postgres_url() -> Option<String> {
    std::env::var("VECTRADE_TEST_POSTGRES").ok().filter(|s| !s.is_empty())
}

fn database_name(db: &Path) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in db.to_string_lossy().bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    format!("vt_{h:016x}")
}

/// `--db` for a test's database path: the path, or (on PostgreSQL) the URL of its own database,
/// created when missing.
pub fn db_arg(db: &Path) -> String {
    let Some(admin) = postgres_url() else { return db.to_str().unwrap().to_string() };
    let name = database_name(db);
    let mut client = postgres::Client::connect(&admin, postgres::NoTls).expect("the test PostgreSQL answers");
    let exists = !client.query("SELECT 1 FROM pg_database WHERE datname = $1", &[&name]).unwrap().is_empty();
    if !exists {
        client.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    }
    let (base, _) = admin.rsplit_once('/').expect("a URL with a database name");
    format!("{base}/{name}")
}

/// Everything the database holds, as text: the SQLite file and its WAL, or every row of every
/// table of the PostgreSQL database. Tests grep it for secrets.
pub fn stored_text(db: &Path) -> String {
    if postgres_url().is_some() {
        let mut client = postgres::Client::connect(&db_arg(db), postgres::NoTls).unwrap();
        let tables: Vec<String> = client
            .query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut text = String::new();
        for t in tables {
            for row in client.query(&format!("SELECT row_to_json(t)::text FROM {t} t"), &[]).unwrap() {
                text.push_str(row.get::<_, &str>(0));
                text.push('\n');
            }
        }
        return text;
    }
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    let bytes: Vec<u8> =
        [db.to_path_buf(), PathBuf::from(wal)].iter().filter_map(|f| std::fs::read(f).ok()).flatten().collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn field(line: &str, label: &str) -> Option<String> {
    line.trim().strip_prefix(label).map(|rest| rest.split_whitespace().next().unwrap_or("").to_string())
}

impl Server {
    /// Starts the server on `db` (created on first start).
    pub fn start(db: &Path) -> Server {
        Server::start_with(db, &[])
    }

    /// Starts the server on `db` with more command-line arguments.
    pub fn start_with(db: &Path, args: &[&str]) -> Server {
        let db_arg = db_arg(db);
        let mut secret = db.as_os_str().to_owned();
        secret.push(".secret");
        let mut child = Command::new(env!("CARGO_BIN_EXE_vectrade-server"))
            .args(["--db", &db_arg, "--port", "0", "--bar-interval", "manual"])
            .args(["--secret-file", secret.to_str().unwrap()])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the server binary starts");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let (mut api_key, mut api_secret, mut account_id, mut base) = (None, None, None, None);
        let (mut operator_token, mut bot_key) = (None, None);
        let mut line = String::new();
        while base.is_none() {
            line.clear();
            if out.read_line(&mut line).unwrap() == 0 {
                panic!("the server exited before listening");
            }
            api_key = api_key.or_else(|| field(&line, "API key:"));
            api_secret = api_secret.or_else(|| field(&line, "API secret:"));
            account_id = account_id.or_else(|| field(&line, "account id:"));
            bot_key = bot_key.or_else(|| field(&line, "bot key:"));
            if let Some(i) = line.find("operator token: ") {
                operator_token = Some(line[i + "operator token: ".len()..].trim().to_string());
            }
            if let Some(rest) = line.trim().strip_prefix("VecTrade server listening on ") {
                base = Some(rest.split_whitespace().next().unwrap().to_string());
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in out.lines() {});
        let http = Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        let operator_token = operator_token.expect("the server prints its operator token");
        Server {
            child,
            base: base.unwrap(),
            api_key,
            api_secret,
            account_id,
            bot_key,
            operator_token,
            db: db.to_path_buf(),
            db_arg,
            http,
        }
    }

    pub fn key(&self) -> &str {
        self.api_key.as_deref().expect("first start printed a key")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn get(&self, path: &str, key: Option<&str>) -> (u16, Value) {
        let mut r = self.http.get(self.url(path));
        if let Some(k) = key {
            r = r.header("X-API-Key", k);
        }
        send(r)
    }

    pub fn post(&self, path: &str, key: Option<&str>, body: &Value) -> (u16, Value) {
        let mut r = self.http.post(self.url(path)).json(body);
        if let Some(k) = key {
            r = r.header("X-API-Key", k);
        }
        send(r)
    }

    /// Registers another account; returns (account id, key, secret).
    pub fn register(&self) -> (String, String, String) {
        let (status, body) = self.post("/api/v1/auth/register", None, &serde_json::json!({"display_name": "other"}));
        assert_eq!(status, 201, "{body}");
        let s = |k: &str| body[k].as_str().unwrap().to_string();
        (s("account_id"), s("api_key"), s("api_secret"))
    }

    /// A JWT for an account's key and secret.
    pub fn login(&self, key: &str, secret: &str) -> String {
        let (status, body) =
            self.post("/api/v1/auth/login", None, &serde_json::json!({"api_key": key, "api_secret": secret}));
        assert_eq!(status, 200, "{body}");
        body["token"].as_str().unwrap().to_string()
    }

    /// Reveals `bars` more bars of the live market.
    pub fn advance(&self, bars: usize) -> Value {
        let (status, body) = send(
            self.http
                .post(self.url("/api/v1/operator/market/advance"))
                .header("X-Operator-Token", &self.operator_token)
                .json(&serde_json::json!({"bars": bars})),
        );
        assert_eq!(status, 200, "{body}");
        body
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn send(r: RequestBuilder) -> (u16, Value) {
    let response: Response = r.send().expect("the server answers");
    let status = response.status().as_u16();
    let text = response.text().unwrap();
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    (status, body)
}
