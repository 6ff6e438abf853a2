//! The benchmark API over HTTP against the real binary: the documented loop, every documented
//! status, cross-tenant refusals, idempotency, quotas, restarts, and no secret stored in plaintext.

mod common;

use common::{Server, db_arg, send, stored_text, temp_dir};
use serde_json::{Value, json};

fn start(name: &str) -> Server {
    Server::start(&temp_dir(name).join("vectrade.db"))
}

fn new_run(s: &Server, key: &str) -> String {
    let (status, body) = s.post("/api/v1/runs", Some(key), &json!({"scenario_slug": "tech-2024-q2", "bot_name": "t"}));
    assert_eq!(status, 201, "{body}");
    body["run"]["id"].as_str().unwrap().to_string()
}

#[test]
fn the_documented_loop_runs_to_results_and_the_leaderboard() {
    let s = start("loop");
    let key = s.key().to_string();
    let (status, list) = s.get("/api/v1/scenarios", None);
    assert_eq!(status, 200);
    let first = &list["scenarios"][0];
    assert_eq!(first["slug"], "tech-2024-q2");
    assert_eq!(first["starting_cash"], json!(100000));
    assert_eq!(first["universe"].as_array().unwrap().len(), 6);
    let (status, by_id) = s.get(&format!("/api/v1/scenarios/{}", first["id"].as_str().unwrap()), None);
    assert_eq!((status, &by_id["scenario"]["slug"]), (200, &json!("tech-2024-q2")));
    assert_eq!(s.get("/api/v1/scenarios/nope", None).0, 404);

    // Extra fields (agent_info) are accepted.
    let (status, created) = s.post(
        "/api/v1/runs",
        Some(&key),
        &json!({"scenario_slug": "tech-2024-q2", "bot_name": "loop", "agent_info": {"model": "x"}}),
    );
    assert_eq!(status, 201, "{created}");
    let run = &created["run"];
    assert_eq!(run["status"], "active");
    assert_eq!(run["cash"], json!(100000));
    assert_eq!(run["sim_time"], "2024-04-01T13:30:00Z");
    let id = run["id"].as_str().unwrap().to_string();

    let (status, market) = s.get(&format!("/api/v1/runs/{id}/market?symbols=AAPL,MSFT&lookback=50"), Some(&key));
    assert_eq!(status, 200, "{market}");
    let aapl = market["bars"]["AAPL"].as_array().unwrap();
    assert_eq!(aapl.len(), 1, "only the bar at sim_time is visible");
    assert_eq!(aapl[0]["ts"], market["sim_time"]);
    assert!(market["bars"]["GOOGL"].is_null());
    let (_, scan) = s.get(&format!("/api/v1/runs/{id}/market?lookback=1"), Some(&key));
    assert_eq!(scan["bars"].as_object().unwrap().len(), 7, "six symbols and the benchmark");
    let (status, bad) = s.get(&format!("/api/v1/runs/{id}/market?lookback=1001"), Some(&key));
    assert_eq!((status, bad["code"].as_str()), (400, Some("invalid_lookback")));
    assert_eq!(bad["title"], "Bad Request");
    let (status, bad) = s.get(&format!("/api/v1/runs/{id}/market?symbols=ZZZZ"), Some(&key));
    assert_eq!((status, bad["code"].as_str()), (400, Some("unknown_symbol")));

    let (status, order) = s.post(
        &format!("/api/v1/runs/{id}/trades"),
        Some(&key),
        &json!({"symbol": "AAPL", "side": "buy", "quantity": 10, "reasoning": "test"}),
    );
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["order"]["symbol"], "AAPL");
    assert_eq!(order["order"]["quantity"], json!(10));
    assert_eq!(order["order"]["status"], "OPEN");
    // A float quantity is read by its shortest representation; nine decimals are refused, not rounded.
    let (status, _) = s.post(
        &format!("/api/v1/runs/{id}/trades"),
        Some(&key),
        &json!({"symbol": "MSFT", "side": "buy", "quantity": 0.5}),
    );
    assert_eq!(status, 201);
    let (status, bad) = s.post(
        &format!("/api/v1/runs/{id}/trades"),
        Some(&key),
        &json!({"symbol": "MSFT", "side": "buy", "quantity": 0.123456789}),
    );
    assert_eq!((status, bad["code"].as_str()), (400, Some("invalid_quantity")), "{bad}");
    for (body, code) in [
        (json!({"symbol": "AAPL", "side": "buy", "quantity": 0}), "invalid_quantity"),
        (json!({"symbol": "AAPL", "side": "buy", "quantity": -3}), "invalid_quantity"),
        (json!({"symbol": "ZZZZ", "side": "buy", "quantity": 1}), "unknown_symbol"),
        (json!({"symbol": "AAPL", "side": "sell", "quantity": 5}), "insufficient_position"),
        (json!({"symbol": "AAPL", "side": "short", "quantity": 5}), "shorting_disabled"),
        (json!({"symbol": "AAPL", "side": "buy", "quantity": 100000}), "insufficient_buying_power"),
        (json!({"symbol": "AAPL", "side": "hold", "quantity": 1}), "invalid_enum_value"),
        (json!({"symbol": "AAPL", "side": "buy", "quantity": 1, "stop_los": 1}), "invalid_request"),
    ] {
        let (status, bad) = s.post(&format!("/api/v1/runs/{id}/trades"), Some(&key), &body);
        assert_eq!((status, bad["code"].as_str()), (400, Some(code)), "{body} → {bad}");
        assert!(bad["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    let (status, bad) =
        send(s.http.post(s.url(&format!("/api/v1/runs/{id}/trades"))).header("X-API-Key", &key).body("{not json"));
    assert_eq!((status, bad["code"].as_str()), (400, Some("invalid_request")));
    assert!(bad["detail"].as_str().unwrap().contains("invalid JSON"));

    let (status, results) = s.get(&format!("/api/v1/runs/{id}/results"), Some(&key));
    assert_eq!((status, results["code"].as_str()), (400, Some("run_not_finished")));

    let (status, detail) = s.get(&format!("/api/v1/runs/{id}"), Some(&key));
    assert_eq!(status, 200);
    assert_eq!(detail["queued_orders"].as_array().unwrap().len(), 2);
    assert_eq!(detail["positions"], json!([]), "empty lists are [], never null");

    let (status, step) = s.post(&format!("/api/v1/runs/{id}/step"), Some(&key), &json!({"count": 1}));
    assert_eq!(status, 200, "{step}");
    assert_eq!(step["bars_advanced"], 1);
    assert_eq!(step["fills"].as_array().unwrap().len(), 2);
    assert_eq!(step["fills"][0]["symbol"], "AAPL");
    assert_eq!(step["done"], false);
    // An empty body steps one bar.
    let (status, step) = send(s.http.post(s.url(&format!("/api/v1/runs/{id}/step"))).header("X-API-Key", &key));
    assert_eq!((status, step["bars_advanced"].as_u64()), (200, Some(1)));

    let (status, end) = s.post(&format!("/api/v1/runs/{id}/step"), Some(&key), &json!({"count": 100000}));
    assert_eq!(status, 200);
    assert_eq!(end["done"], true);
    let (status, again) = s.post(&format!("/api/v1/runs/{id}/step"), Some(&key), &json!({}));
    assert_eq!((status, again["code"].as_str()), (400, Some("run_finished")));

    let (status, results) = s.get(&format!("/api/v1/runs/{id}/results"), Some(&key));
    assert_eq!(status, 200, "{results}");
    let r = &results["results"];
    for k in ["final_equity", "return_pct", "max_drawdown", "trade_count", "liquidated", "per_symbol"] {
        assert!(!r[k].is_null(), "results lack {k}: {r}");
    }
    assert!(r["max_drawdown"].as_f64().unwrap() >= 0.0);
    let (status, trades) = s.get(&format!("/api/v1/runs/{id}/trades"), Some(&key));
    assert_eq!(status, 200);
    assert_eq!(trades["trades"].as_array().unwrap().len() as u64, r["trade_count"].as_u64().unwrap());
    let (status, detail) = s.get(&format!("/api/v1/runs/{id}"), Some(&key));
    assert_eq!((status, detail["run"]["status"].as_str()), (200, Some("completed")));

    assert_eq!(s.get(&format!("/api/v1/runs/{id}/public"), None).0, 404, "not published yet");
    let (status, published) = s.post(&format!("/api/v1/runs/{id}/publish"), Some(&key), &json!({}));
    assert_eq!(status, 200);
    assert_eq!(published["published"], true);
    assert_eq!(published["results"], *r);
    let (status, public) = s.get(&format!("/api/v1/runs/{id}/public"), None);
    assert_eq!((status, &public["results"]), (200, r));
    let (status, board) = s.get("/api/v1/leaderboard?scenario=tech-2024-q2&sort_by=sharpe", None);
    assert_eq!(status, 200);
    assert_eq!(board["leaderboard"][0]["run_id"], json!(id));
    assert_eq!(board["leaderboard"][0]["rank"], 1);
    assert_eq!(board["leaderboard"][0]["display_name"], "loop");
    let (status, bad) = s.get("/api/v1/leaderboard?sort_by=luck", None);
    assert_eq!((status, bad["code"].as_str()), (400, Some("invalid_request")));
    let (_, counts) = s.get("/api/v1/leaderboard/scenarios", None);
    assert_eq!(counts["scenarios"][0]["published_runs"], 1);

    let (status, nothing) = s.get("/api/v1/nowhere", None);
    assert_eq!((status, nothing["code"].as_str()), (404, Some("route_not_found")));
}

#[test]
fn keys_are_checked_and_runs_are_private() {
    let s = start("auth");
    let key = s.key().to_string();
    let id = new_run(&s, &key);
    assert_eq!(s.get(&format!("/api/v1/runs/{id}"), None).0, 401);
    let (status, body) = s.get(&format!("/api/v1/runs/{id}"), Some("ak_live_wrong"));
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
    // Authorization: Bearer works as well as X-API-Key.
    let (status, _) = send(s.http.get(s.url(&format!("/api/v1/runs/{id}"))).bearer_auth(&key));
    assert_eq!(status, 200);

    let (_, other, _) = s.register();
    let routes: Vec<(&str, String)> = vec![
        ("GET", format!("/api/v1/runs/{id}")),
        ("GET", format!("/api/v1/runs/{id}/market")),
        ("POST", format!("/api/v1/runs/{id}/trades")),
        ("GET", format!("/api/v1/runs/{id}/trades")),
        ("POST", format!("/api/v1/runs/{id}/step")),
        ("GET", format!("/api/v1/runs/{id}/results")),
        ("POST", format!("/api/v1/runs/{id}/publish")),
    ];
    for (method, path) in &routes {
        let body =
            if path.ends_with("/trades") { json!({"symbol": "AAPL", "side": "buy", "quantity": 1}) } else { json!({}) };
        let (status, err) = match *method {
            "GET" => s.get(path, Some(&other)),
            _ => s.post(path, Some(&other), &body),
        };
        assert_eq!((status, err["code"].as_str()), (403, Some("forbidden")), "{method} {path}");
        let missing = path.replace(&id, "00000000-0000-0000-0000-000000000000");
        let (status, _) = match *method {
            "GET" => s.get(&missing, Some(&other)),
            _ => s.post(&missing, Some(&other), &body),
        };
        assert_eq!(status, 404, "{method} {missing}");
    }
    // The owner's run did not move.
    let (_, detail) = s.get(&format!("/api/v1/runs/{id}"), Some(&key));
    assert_eq!(detail["run"]["sim_time"], "2024-04-01T13:30:00Z");
    assert_eq!(detail["queued_orders"], json!([]));
}

#[test]
fn login_gives_a_jwt_for_the_key_and_secret_only() {
    let s = start("login");
    let (status, token) = s.post(
        "/api/v1/auth/login",
        None,
        &json!({"api_key": s.key(), "api_secret": s.api_secret.as_deref().unwrap()}),
    );
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["token"].as_str().unwrap().split('.').count(), 3);
    let (_, _, other_secret) = s.register();
    let (status, err) = s.post("/api/v1/auth/login", None, &json!({"api_key": s.key(), "api_secret": other_secret}));
    assert_eq!(status, 401);
    assert_eq!(err["error"]["code"], "unauthorized", "account routes nest their errors: {err}");
    let (status, err) = s.post("/api/v1/auth/login", None, &json!({"api_key": s.key()}));
    assert_eq!((status, err["error"]["code"].as_str()), (422, Some("invalid_request")));
}

#[test]
fn idempotency_keys_replay_successes_and_refuse_other_bodies() {
    let s = start("idem");
    let key = s.key().to_string();
    let id = new_run(&s, &key);
    let trade = json!({"symbol": "AAPL", "side": "buy", "quantity": 3, "idempotency_key": "k-1"});
    let first = s.post(&format!("/api/v1/runs/{id}/trades"), Some(&key), &trade);
    let again = s.post(&format!("/api/v1/runs/{id}/trades"), Some(&key), &trade);
    assert_eq!(first.0, 201);
    assert_eq!(first, again, "a retry gets the first response, status included");
    let (_, detail) = s.get(&format!("/api/v1/runs/{id}"), Some(&key));
    assert_eq!(detail["queued_orders"].as_array().unwrap().len(), 1, "queued once");
    let other = json!({"symbol": "AAPL", "side": "buy", "quantity": 4, "idempotency_key": "k-1"});
    let (status, err) = s.post(&format!("/api/v1/runs/{id}/trades"), Some(&key), &other);
    assert_eq!((status, err["code"].as_str()), (409, Some("idempotency_conflict")));
    // A failure is not kept under its key: the retry is tried again.
    let sell = json!({"symbol": "AAPL", "side": "sell", "quantity": 3, "idempotency_key": "k-2"});
    assert_eq!(s.post(&format!("/api/v1/runs/{id}/trades"), Some(&key), &sell).0, 400);
    let step = json!({"count": 1, "idempotency_key": "s-1"});
    let stepped = s.post(&format!("/api/v1/runs/{id}/step"), Some(&key), &step);
    assert_eq!(stepped, s.post(&format!("/api/v1/runs/{id}/step"), Some(&key), &step));
    let (_, detail) = s.get(&format!("/api/v1/runs/{id}"), Some(&key));
    assert_eq!(detail["run"]["sim_time"], stepped.1["new_sim_time"], "stepped once");
    assert_eq!(s.post(&format!("/api/v1/runs/{id}/trades"), Some(&key), &sell).0, 201, "now the position is there");
}

#[test]
fn monthly_quotas_answer_402_then_429_for_pro() {
    let s = start("quota");
    let key = s.key().to_string();
    for _ in 0..20 {
        new_run(&s, &key);
    }
    // Ten at once for the last five places: exactly five are created.
    let created: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..10)
            .map(|_| scope.spawn(|| s.post("/api/v1/runs", Some(&key), &json!({"scenario_slug": "tech-2024-q2"})).0))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(created.iter().filter(|&&c| c == 201).count(), 5, "{created:?}");
    assert_eq!(created.iter().filter(|&&c| c == 402).count(), 5, "{created:?}");
    let (status, err) = s.post("/api/v1/runs", Some(&key), &json!({"scenario_slug": "tech-2024-q2"}));
    assert_eq!(status, 402, "{err}");
    assert!(err["checkout_url"].as_str().is_some_and(|u| u.starts_with("http://127.0.0.1:")));
    assert!(err["upgrade_hint"].as_str().is_some());
    let (_, billing) = s.get("/api/v1/billing/account", Some(&key));
    assert_eq!((billing["plan"].as_str(), billing["runs_used"].as_u64()), (Some("free"), Some(25)));
    // A handle is for Pro accounts.
    let patch = |h: &str| {
        send(s.http.patch(s.url("/api/v1/billing/account")).header("X-API-Key", &key).json(&json!({"handle": h})))
    };
    assert_eq!(patch("alice").0, 403);

    // The operator's command, while the server runs.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vectrade-server"))
        .args(["plan", "--db", &s.db_arg, s.account_id.as_deref().unwrap(), "pro"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(patch("a").0, 400);
    assert_eq!(patch("alice!").0, 400);
    let (status, billing) = patch("alice");
    assert_eq!((status, billing["handle"].as_str(), billing["plan"].as_str()), (200, Some("alice"), Some("pro")));
    for _ in 25..200 {
        new_run(&s, &key);
    }
    let response = s
        .http
        .post(s.url("/api/v1/runs"))
        .header("X-API-Key", &key)
        .json(&json!({"scenario_slug": "tech-2024-q2"}))
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert!(response.headers().get("retry-after").is_some());
    let err: Value = response.json().unwrap();
    assert!(err["resets_at"].as_str().is_some_and(|t| t.ends_with("-01T00:00:00Z")), "{err}");
}

#[test]
fn acknowledged_writes_survive_sigkill_and_no_secret_is_stored_in_plaintext() {
    let dir = temp_dir("restart");
    let db = dir.join("vectrade.db");
    let mut s = Server::start(&db);
    let key = s.key().to_string();
    let secret = s.api_secret.clone().unwrap();
    let id = new_run(&s, &key);
    s.post(
        &format!("/api/v1/runs/{id}/trades"),
        Some(&key),
        &json!({"symbol": "NVDA", "side": "buy", "quantity": 2, "idempotency_key": "a"}),
    );
    s.post(&format!("/api/v1/runs/{id}/step"), Some(&key), &json!({"count": 3}));
    let before = s.get(&format!("/api/v1/runs/{id}"), Some(&key));
    let trades = s.get(&format!("/api/v1/runs/{id}/trades"), Some(&key));
    s.kill();

    let text = stored_text(&db);
    assert!(!text.contains(&key), "the API key is stored in plaintext");
    assert!(!text.contains(&secret), "the API secret is stored in plaintext");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("vectrade.db.secret")).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the server secret is readable by others");
    }

    let s = Server::start(&db);
    assert!(s.api_key.is_none(), "credentials are printed on the first start only");
    assert_eq!(s.get(&format!("/api/v1/runs/{id}"), Some(&key)), before);
    assert_eq!(s.get(&format!("/api/v1/runs/{id}/trades"), Some(&key)), trades);
    // The idempotency record survived too.
    let (status, err) = s.post(
        &format!("/api/v1/runs/{id}/trades"),
        Some(&key),
        &json!({"symbol": "NVDA", "side": "buy", "quantity": 5, "idempotency_key": "a"}),
    );
    assert_eq!((status, err["code"].as_str()), (409, Some("idempotency_conflict")));
}

#[test]
fn resting_orders_are_listed_and_cancelled_and_the_cancel_survives_a_restart() {
    let db = temp_dir("cancel").join("vectrade.db");
    let mut s = Server::start(&db);
    let key = s.key().to_string();
    let id = new_run(&s, &key);
    let (_, bars) = s.get(&format!("/api/v1/runs/{id}/market?symbols=AAPL&lookback=1"), Some(&key));
    let close = bars["bars"]["AAPL"][0]["close"].as_f64().unwrap();
    // A limit far below the market rests; a market order fills at the next open.
    let (status, limit) = s.post(
        &format!("/api/v1/runs/{id}/trades"),
        Some(&key),
        &json!({"symbol": "AAPL", "side": "buy", "quantity": 1, "order_type": "LIMIT", "limit_price": (close / 2.0).floor()}),
    );
    assert_eq!(status, 201, "{limit}");
    let limit_id = limit["order"]["id"].as_str().unwrap().to_string();
    s.post(&format!("/api/v1/runs/{id}/trades"), Some(&key), &json!({"symbol": "MSFT", "side": "buy", "quantity": 1}));
    s.post(&format!("/api/v1/runs/{id}/step"), Some(&key), &json!({}));

    let (status, all) = s.get(&format!("/api/v1/runs/{id}/orders"), Some(&key));
    assert_eq!(status, 200, "{all}");
    let statuses: Vec<&str> = all["orders"].as_array().unwrap().iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["OPEN", "FILLED"]);
    let (_, open) = s.get(&format!("/api/v1/runs/{id}/orders?status=open"), Some(&key));
    assert_eq!(open["orders"].as_array().unwrap().len(), 1);
    assert_eq!(open["orders"][0]["id"].as_str(), Some(limit_id.as_str()));
    let (status, bad) = s.get(&format!("/api/v1/runs/{id}/orders?status=done"), Some(&key));
    assert_eq!((status, bad["code"].as_str()), (400, Some("invalid_request")), "{bad}");

    let cancel = |s: &Server, order: &str| {
        send(s.http.delete(s.url(&format!("/api/v1/runs/{id}/orders/{order}"))).header("X-API-Key", &key))
    };
    let (status, cancelled) = cancel(&s, &limit_id);
    assert_eq!((status, cancelled["order"]["status"].as_str()), (200, Some("CANCELLED")), "{cancelled}");
    let (status, again) = cancel(&s, &limit_id);
    assert_eq!((status, &again), (200, &cancelled), "a repeated cancel answers the cancelled order");
    let filled_id = all["orders"][1]["id"].as_str().unwrap().to_string();
    let (status, filled) = cancel(&s, &filled_id);
    assert_eq!((status, filled["code"].as_str()), (400, Some("order_not_cancellable")), "{filled}");
    assert_eq!(cancel(&s, "999").0, 404);
    assert_eq!(cancel(&s, "abc").0, 404);
    let (other_key, _) = {
        let (_, k, secret) = s.register();
        (k, secret)
    };
    let (status, _) =
        send(s.http.delete(s.url(&format!("/api/v1/runs/{id}/orders/{limit_id}"))).header("X-API-Key", &other_key));
    assert_eq!(status, 403, "another account cannot cancel");

    let before = s.get(&format!("/api/v1/runs/{id}/orders"), Some(&key));
    s.kill();
    let s = Server::start(&db);
    assert_eq!(s.get(&format!("/api/v1/runs/{id}/orders"), Some(&key)), before, "the cancel was durable");
}

#[test]
fn hold_liquidate_and_next_session_advance_a_run_as_the_mcp_tools_do() {
    let s = start("advance");
    let key = s.key().to_string();
    let post = |id: &str, path: &str, body: Value| s.post(&format!("/api/v1/runs/{id}/{path}"), Some(&key), &body);

    let id = new_run(&s, &key);
    post(&id, "trades", json!({"symbol": "AAPL", "side": "buy", "quantity": 3}));
    let (status, session) = post(&id, "advance-until-next-session", json!({}));
    assert_eq!(status, 200, "{session}");
    assert!(session["bars_advanced"].as_u64().unwrap() >= 1 && session["fills"].as_array().unwrap().len() == 1);
    let (status, refused) = post(&id, "hold-until-end", json!({"require_flat": true}));
    assert_eq!((status, refused["code"].as_str()), (400, Some("positions_open")), "{refused}");
    let (status, held) = post(&id, "hold-until-end", json!({"max_bars": 10, "idempotency_key": "h1"}));
    assert_eq!((status, held["bars_advanced"].as_u64(), held["done"].as_bool()), (200, Some(10), Some(false)));
    assert_eq!(post(&id, "hold-until-end", json!({"max_bars": 10, "idempotency_key": "h1"})).1, held, "replayed");
    let (status, done) = post(&id, "liquidate-and-finish", json!({"rationale": "wrap up"}));
    assert_eq!((status, done["done"].as_bool()), (200, Some(true)), "{done}");
    assert_eq!(done["fills"][0]["side"], "sell");
    assert_eq!(done["fills"][0]["reasoning"], "wrap up");
    let (status, over) = post(&id, "liquidate-and-finish", json!({"rationale": "again"}));
    assert_eq!((status, over["code"].as_str()), (400, Some("run_finished")));
    let (status, bad) = post(&id, "liquidate-and-finish", json!({}));
    assert_eq!(status, 400, "the rationale is required: {bad}");

    let flat = new_run(&s, &key);
    let (status, to_end) = post(&flat, "hold-until-end", json!({"require_flat": true}));
    assert_eq!((status, to_end["done"].as_bool()), (200, Some(true)), "{to_end}");
}

#[test]
fn the_committed_openapi_document_is_current() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json")).unwrap_or_default();
    let current = vectrade_server::openapi_text();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json"), &current).unwrap();
        return;
    }
    assert!(
        committed == current,
        "server/openapi.json is stale: run `UPDATE_OPENAPI=1 cargo test -p vectrade-server --test benchmark_api openapi` and commit it"
    );
    let doc: Value = serde_json::from_str(&current).unwrap();
    for path in ["/api/v1/runs", "/api/v1/runs/{id}/step", "/api/v1/auth/login", "/api/v1/leaderboard"] {
        assert!(doc["paths"][path].is_object(), "{path} is missing from the document");
    }
    // Clients name operations by their ids: each is unique (as OpenAPI requires).
    let mut ids = std::collections::HashSet::new();
    for ops in doc["paths"].as_object().unwrap().values() {
        for op in ops.as_object().unwrap().values().filter_map(|o| o.get("operationId")) {
            assert!(ids.insert(op.as_str().unwrap().to_string()), "operationId {op} is used twice");
        }
    }
}

#[test]
fn a_slow_client_holds_no_run_and_oversized_bodies_are_refused() {
    use std::io::{Read, Write};
    let s = start("slow");
    let key = s.key().to_string();
    let id = new_run(&s, &key);
    // Headers and half a body, then nothing: the run stays free for everyone else.
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut slow = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        slow,
        "POST /api/v1/runs/{id}/trades HTTP/1.1\r\nHost: x\r\nX-API-Key: {key}\r\nContent-Type: application/json\r\nContent-Length: 80\r\n\r\n{{\"symbol\": \"AAPL\","
    )
    .unwrap();
    slow.flush().unwrap();
    let started = std::time::Instant::now();
    let (status, _) = s.post(&format!("/api/v1/runs/{id}/step"), Some(&key), &json!({}));
    let (status2, _) = s.post(
        &format!("/api/v1/runs/{id}/trades"),
        Some(&key),
        &json!({"symbol": "AAPL", "side": "buy", "quantity": 1}),
    );
    assert_eq!((status, status2), (200, 201));
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "others waited for the slow client");
    drop(slow);

    let big = format!(
        "{{\"symbol\": \"AAPL\", \"side\": \"buy\", \"quantity\": 1, \"reasoning\": \"{}\"}}",
        "x".repeat(300 * 1024)
    );
    let (status, err) = send(
        s.http
            .post(s.url(&format!("/api/v1/runs/{id}/trades")))
            .header("X-API-Key", &key)
            .header("Content-Type", "application/json")
            .body(big),
    );
    assert_eq!(status, 413, "{err}");
    // The connection that never finished its body is answered, not left hanging forever.
    let mut raw = std::net::TcpStream::connect(&addr).unwrap();
    raw.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    write!(raw, "POST /api/v1/runs/{id}/step HTTP/1.1\r\nHost: x\r\nX-API-Key: {key}\r\nContent-Length: 10\r\n\r\n{{")
        .unwrap();
    let mut answer = String::new();
    let _ = raw.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408") || answer.starts_with("HTTP/1.1 400"), "{answer}");
}

#[test]
fn a_damaged_server_secret_stops_the_start() {
    let dir = temp_dir("secret");
    let db = dir.join("vectrade.db");
    std::fs::write(dir.join("vectrade.db.secret"), "short\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vectrade-server"))
        .args(["--db", &db_arg(&db), "--secret-file", dir.join("vectrade.db.secret").to_str().unwrap(), "--port", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 32"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_second_server_on_the_same_database_is_refused_and_the_first_goes_on() {
    let dir = temp_dir("second");
    let db = dir.join("vectrade.db");
    let s = Server::start(&db);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vectrade-server"))
        .args(["--db", &s.db_arg, "--secret-file", dir.join("vectrade.db.secret").to_str().unwrap(), "--port", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("another vectrade-server is serving"), "{err}");
    assert_eq!(s.get("/api/v1/scenarios", Some(s.key())).0, 200);
    // Once the first is gone (even by SIGKILL), the database can be served again.
    drop(s);
    let s = Server::start(&db);
    assert_eq!(s.get("/api/v1/health", None).0, 200);
}

#[test]
fn a_dropped_postgres_connection_fails_only_the_writes_it_met() {
    let Some(admin) = common::postgres_url() else {
        eprintln!("skipped: runs on PostgreSQL only (VECTRADE_TEST_POSTGRES)");
        return;
    };
    let dir = temp_dir("pg-drop");
    let s = Server::start(&dir.join("vectrade.db"));
    let key = s.key().to_string();
    let id = new_run(&s, &key);
    let step = |n: u64| s.post(&format!("/api/v1/runs/{id}/step"), Some(&key), &json!({"count": n}));
    assert_eq!(step(1).0, 200);
    // An administrator ends the server's connection.
    let database = s.db_arg.rsplit('/').next().unwrap().to_string();
    let mut client = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
    let ended = client
        .query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", &[&database])
        .unwrap()
        .len();
    assert!(ended >= 1, "the server had no connection to end");
    // The write that meets the dropped connection is refused, not acknowledged; the next ones work.
    let mut stepped = 1;
    let mut refused = 0;
    for _ in 0..5 {
        match step(1) {
            (200, _) => stepped += 1,
            (503, body) => {
                assert_eq!(body["code"], "storage_unavailable", "{body}");
                refused += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(refused <= 1 && stepped >= 5, "{refused} refused, {stepped} stepped");
    // What the run shows is what was acknowledged, also after a restart.
    let (_, run) = s.get(&format!("/api/v1/runs/{id}"), Some(&key));
    drop(s);
    let s = Server::start(&dir.join("vectrade.db"));
    assert_eq!(s.get(&format!("/api/v1/runs/{id}"), Some(&key)).1, run);
    let control = new_run(&s, &key);
    for _ in 0..stepped {
        assert_eq!(s.post(&format!("/api/v1/runs/{control}/step"), Some(&key), &json!({"count": 1})).0, 200);
    }
    let (_, control) = s.get(&format!("/api/v1/runs/{control}"), Some(&key));
    assert_eq!(run["run"]["sim_time"], control["run"]["sim_time"], "{stepped} steps acknowledged");
}

#[test]
fn json_numbers_are_read_digit_for_digit_never_through_a_float() {
    let s = start("exact-numbers");
    let key = s.key().to_string();
    let id = new_run(&s, &key);
    // 18 decimals: refused for its places, and the answer quotes the digits sent (a float would
    // have made them 100.12345678901235).
    let trade = json!({"symbol": "AAPL", "side": "buy", "quantity": 1, "order_type": "limit"});
    let mut body = serde_json::to_string(&trade).unwrap();
    body.insert_str(body.len() - 1, r#","limit_price":100.123456789012345678"#);
    let (status, err) = send(
        s.http
            .post(s.url(&format!("/api/v1/runs/{id}/trades")))
            .header("X-API-Key", &key)
            .header("Content-Type", "application/json")
            .body(body),
    );
    assert_eq!(status, 400, "{err}");
    assert!(err["detail"].as_str().unwrap().contains("100.123456789012345678"), "{err}");
    // 17 significant digits within 8 places are kept as sent (a limit far below the market).
    let trade = json!({"symbol": "AAPL", "side": "buy", "order_type": "limit", "limit_price": 0.0001});
    let mut body = serde_json::to_string(&trade).unwrap();
    body.insert_str(body.len() - 1, r#","quantity":123456789.12345678"#);
    let (status, placed) = send(
        s.http
            .post(s.url(&format!("/api/v1/runs/{id}/trades")))
            .header("X-API-Key", &key)
            .header("Content-Type", "application/json")
            .body(body),
    );
    let shown = placed.to_string();
    assert!(shown.contains("123456789.12345678"), "{status} {shown}");
    // Not a number at all.
    let (status, err) = s.post(
        &format!("/api/v1/runs/{id}/trades"),
        Some(&key),
        &json!({"symbol": "AAPL", "side": "buy", "quantity": true}),
    );
    assert_eq!((status, err["code"].as_str()), (400, Some("invalid_request")), "{err}");
    assert!(err["detail"].as_str().unwrap().contains("expected a number or a decimal string"), "{err}");
}
