//! Several server processes on one PostgreSQL database (`--shared`): each account is served by one
//! process, the others forward to it, and a process that dies hands its accounts over with
//! nothing acknowledged lost. Runs on PostgreSQL only (`VECTRADE_TEST_POSTGRES`).

mod common;

use std::time::Duration;

use common::{Server, postgres_url, send, temp_dir};
use serde_json::{Value, json};

const BOT: &str = "/api/trade/v1/bot";

/// Retries while an account moves between processes (503 `account_moving`, a second at most).
fn settled(mut call: impl FnMut() -> (u16, Value)) -> (u16, Value) {
    for _ in 0..50 {
        let (status, body) = call();
        if status != 503 {
            return (status, body);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    call()
}

#[test]
fn processes_sharing_a_database_serve_each_account_once_and_take_over_from_a_dead_one() {
    if postgres_url().is_none() {
        eprintln!("skipped: runs on PostgreSQL only (VECTRADE_TEST_POSTGRES)");
        return;
    }
    let dir = temp_dir("shared");
    let db = dir.join("vectrade.db");
    let a = Server::start_with(&db, &["--shared"]);
    let mut b = Server::start_with(&db, &["--shared"]);
    assert!(b.api_key.is_none(), "the second process found the first's account");
    let key = a.key().to_string();

    // The first request for the account reaches B, which takes it; A forwards to B from then on.
    let (status, run) = b.post("/api/v1/runs", Some(&key), &json!({"scenario_slug": "tech-2024-q2"}));
    assert_eq!(status, 201, "{run}");
    let id = run["run"]["id"].as_str().unwrap().to_string();
    let trade = json!({"symbol": "AAPL", "side": "buy", "quantity": 10});
    assert_eq!(a.post(&format!("/api/v1/runs/{id}/trades"), Some(&key), &trade).0, 201);
    for (i, s) in [&a, &b, &a, &b].into_iter().enumerate() {
        let (status, step) = s.post(&format!("/api/v1/runs/{id}/step"), Some(&key), &json!({"count": 1}));
        assert_eq!(status, 200, "step {i}: {step}");
    }
    let detail = a.get(&format!("/api/v1/runs/{id}"), Some(&key));
    assert_eq!(detail.0, 200);
    assert_eq!(detail, b.get(&format!("/api/v1/runs/{id}"), Some(&key)), "both processes show one run");
    assert_eq!(detail.1["positions"][0]["quantity"], json!(10), "{}", detail.1);
    // Idempotency holds across processes: the key's first answer, wherever the retry lands.
    let keyed = json!({"count": 1, "idempotency_key": "step-once"});
    let first = a.post(&format!("/api/v1/runs/{id}/step"), Some(&key), &keyed);
    assert_eq!(first, b.post(&format!("/api/v1/runs/{id}/step"), Some(&key), &keyed));

    // Management through either: a JWT from A; the bot key (Free: one) revoked through A is
    // refused at once by both, and a new one is made through B.
    let jwt = a.login(&key, a.api_secret.as_deref().unwrap());
    let (_, keys) = send(b.http.get(b.url(&format!("{BOT}/keys"))).bearer_auth(&jwt));
    let kid = keys[0]["id"].as_str().unwrap().to_string();
    assert_eq!(send(a.http.delete(a.url(&format!("{BOT}/keys/{kid}"))).bearer_auth(&jwt)).0, 204);
    let old = a.bot_key.clone().unwrap();
    for s in [&a, &b] {
        let (status, _) = send(s.http.get(s.url(&format!("{BOT}/portfolio"))).header("X-Bot-Key", &old));
        assert_eq!(status, 401, "a revoked key is refused at once by every process");
    }
    let (status, made) =
        send(b.http.post(b.url(&format!("{BOT}/keys"))).bearer_auth(&jwt).json(&json!({"label": "shared"})));
    assert_eq!(status, 201, "{made}");
    let fresh = made["key"].as_str().unwrap().to_string();

    // The live market: advanced by one process, seen by all.
    let (status, order) = send(
        b.http
            .post(b.url(&format!("{BOT}/orders")))
            .header("X-Bot-Key", &fresh)
            .json(&json!({"symbol": "AAPL", "side": "BUY", "quantity": 1})),
    );
    assert_eq!(status, 201, "{order}");
    a.advance(1);
    let (_, filled) =
        send(a.http.get(a.url(&format!("{BOT}/orders/{}", order["id"].as_str().unwrap()))).header("X-Bot-Key", &fresh));
    assert_eq!(filled["status"], "FILLED", "the order filled on the bar A revealed: {filled}");

    // Another account, registered through A, is served too.
    let (_, k2, _) = a.register();
    assert_eq!(b.post("/api/v1/runs", Some(&k2), &json!({"scenario_slug": "tech-2024-q2"})).0, 201);

    // B dies without a word; A takes the account over from the database.
    let before = b.get(&format!("/api/v1/runs/{id}"), Some(&key));
    b.kill();
    let after = settled(|| a.get(&format!("/api/v1/runs/{id}"), Some(&key)));
    assert_eq!(after, before, "every acknowledged write survives the takeover");
    let (status, step) = settled(|| a.post(&format!("/api/v1/runs/{id}/step"), Some(&key), &json!({"count": 1})));
    assert_eq!(status, 200, "{step}");
    // The run goes on to its results, and the leaderboard shows it from any process.
    let (status, _) = a.post(&format!("/api/v1/runs/{id}/step"), Some(&key), &json!({"count": 100000}));
    assert_eq!(status, 200);
    assert_eq!(a.post(&format!("/api/v1/runs/{id}/publish"), Some(&key), &json!({})).0, 200);
    let c = Server::start_with(&db, &["--shared"]);
    let board = c.get("/api/v1/leaderboard", None);
    assert_eq!(board.0, 200);
    assert_eq!(board.1["leaderboard"][0]["run_id"], json!(id), "{}", board.1);
    assert_eq!(board, a.get("/api/v1/leaderboard", None));

    // A server on its own cannot join processes sharing the database.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vectrade-server"))
        .args(["--db", &c.db_arg, "--secret-file", dir.join("vectrade.db.secret").to_str().unwrap(), "--port", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("another vectrade-server is serving"));
}
