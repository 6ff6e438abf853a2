//! Starts the real `vectrade-server` binary on a free port with a fresh database, reads the
//! credentials it prints on first start, and kills it when dropped.

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
    pub http: Client,
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vectrade-server-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
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
        let mut child = Command::new(env!("CARGO_BIN_EXE_vectrade-server"))
            .args(["--db", db.to_str().unwrap(), "--port", "0", "--bar-interval", "manual"])
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
