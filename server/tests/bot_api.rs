//! The bot trading API (seed 000) over HTTP against the real binary: bot keys managed with a JWT,
//! orders on the live paper market filled by the engine, portfolio, KPIs, rate limits, the alias
//! path, cross-tenant refusals, revocation and restarts.

mod common;

use common::{Server, db_arg, send, stored_text, temp_dir};
use serde_json::{Value, json};

const BOT: &str = "/api/trade/v1/bot";

fn jwt(s: &Server) -> String {
    s.login(s.key(), s.api_secret.as_deref().unwrap())
}

fn new_key(s: &Server, token: &str, label: &str) -> (u16, Value) {
    send(s.http.post(s.url(&format!("{BOT}/keys"))).bearer_auth(token).json(&json!({"label": label})))
}

fn bot_get(s: &Server, key: &str, path: &str) -> (u16, Value) {
    send(s.http.get(s.url(path)).header("X-Bot-Key", key))
}

fn bot_post(s: &Server, key: &str, path: &str, body: &Value) -> (u16, Value) {
    send(s.http.post(s.url(path)).header("X-Bot-Key", key).json(body))
}

#[test]
fn bot_keys_are_managed_with_a_jwt_and_limited_by_plan() {
    let s = Server::start(&temp_dir("bot-keys").join("vectrade.db"));
    let token = jwt(&s);
    // The first start made one bot key; the Free plan holds one live key.
    let printed = s.bot_key.clone().expect("the first start prints a bot key");
    let (status, err) = new_key(&s, &token, "second");
    assert_eq!((status, err["code"].as_str()), (403, Some("bot_key_limit")), "{err}");
    assert!(err["detail"].as_str().unwrap().contains("Free"));
    let (_, list) = send(s.http.get(s.url(&format!("{BOT}/keys"))).bearer_auth(&token));
    let first_id = list[0]["id"].as_str().unwrap().to_string();
    assert_eq!(send(s.http.delete(s.url(&format!("{BOT}/keys/{first_id}"))).bearer_auth(&token)).0, 204);
    assert_eq!(bot_get(&s, &printed, &format!("{BOT}/account")).0, 401);
    let (status, created) = new_key(&s, &token, "my-claude-bot");
    assert_eq!(status, 201, "{created}");
    let key = created["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("tvt_") && key.len() > 30);
    assert_eq!(created["label"], "my-claude-bot");
    // A bot key cannot manage keys, as a bearer token or as X-Bot-Key.
    let (status, _) = new_key(&s, &key, "from-a-bot");
    assert_eq!(status, 403);
    let (status, _) = send(s.http.get(s.url(&format!("{BOT}/keys"))).header("X-Bot-Key", &key));
    assert_eq!(status, 403);
    assert_eq!(send(s.http.get(s.url(&format!("{BOT}/keys")))).0, 401);

    assert_eq!(bot_get(&s, &key, &format!("{BOT}/account")).0, 200);
    let (status, list) = send(s.http.get(s.url(&format!("{BOT}/keys"))).bearer_auth(&token));
    assert_eq!(status, 200);
    let listed = &list.as_array().unwrap()[1];
    assert_eq!(listed["key_preview"], json!(&key[..12]));
    assert!(listed.get("key").is_none(), "the key is shown once");
    assert_eq!((listed["revoked"].as_bool(), list[0]["revoked"].as_bool()), (Some(false), Some(true)));

    // Revoked: refused from the next request on; the place frees up.
    let id = created["id"].as_str().unwrap();
    let (status, _) = send(s.http.delete(s.url(&format!("{BOT}/keys/{id}"))).bearer_auth(&token));
    assert_eq!(status, 204);
    let (status, err) = bot_get(&s, &key, &format!("{BOT}/account"));
    assert_eq!((status, err["code"].as_str()), (401, Some("unauthorized")));
    assert!(err["detail"].is_string(), "bot routes answer {{detail}}: {err}");
    assert_eq!(new_key(&s, &token, "replacement").0, 201);
    // Another account cannot revoke this account's keys.
    let (_, other_key, other_secret) = s.register();
    let other = s.login(&other_key, &other_secret);
    let (status, _) = send(s.http.delete(s.url(&format!("{BOT}/keys/{id}"))).bearer_auth(&other));
    assert_eq!(status, 404);
}

#[test]
fn orders_fill_on_the_live_market_by_the_engine_rules() {
    let dir = temp_dir("bot-orders");
    let mut s = Server::start(&dir.join("vectrade.db"));
    let key = s.bot_key.clone().unwrap();

    let (status, account) = bot_get(&s, &key, &format!("{BOT}/account"));
    assert_eq!(status, 200, "{account}");
    assert_eq!(account["balance"], "100000.00");
    assert_eq!(
        (account["plan"].as_str(), account["bot_keys_used"].as_u64(), account["bot_keys_limit"].as_u64()),
        (Some("Free"), Some(1), Some(1))
    );

    let order = json!({"symbol": "AAPL", "side": "BUY", "quantity": 10, "order_type": "MARKET", "asset_type": "STOCK"});
    let (status, placed) = bot_post(&s, &key, &format!("{BOT}/orders"), &order);
    assert_eq!(status, 201, "{placed}");
    assert_eq!((placed["status"].as_str(), placed["quantity"].as_str()), (Some("OPEN"), Some("10.00000000")));
    assert_eq!(placed["side"], "BUY");
    assert!(placed["rejection_reason"].is_null());
    let id = placed["id"].as_str().unwrap().to_string();
    // A UUID, as the seed's orders have.
    let shape: Vec<usize> = id.split('-').map(str::len).collect();
    assert_eq!(shape, [8, 4, 4, 4, 12], "{id}");
    assert_eq!(bot_get(&s, &key, &format!("{BOT}/orders/1")).0, 404, "the engine's number is not an id");

    // It fills at the next bar's open.
    s.advance(1);
    let (status, filled) = bot_get(&s, &key, &format!("{BOT}/orders/{id}"));
    assert_eq!(status, 200);
    assert_eq!((filled["status"].as_str(), filled["filled_quantity"].as_str()), (Some("FILLED"), Some("10.00000000")));
    let price = filled["filled_price"].as_str().unwrap();
    assert_eq!(price.split('.').nth(1).unwrap().len(), 8, "{price}");

    // A limit far below the market rests; it can be cancelled once.
    let limit = json!({"symbol": "MSFT", "side": "BUY", "quantity": 1, "order_type": "LIMIT", "limit_price": "1.00", "time_in_force": "GTC"});
    let resting = bot_post(&s, &key, &format!("{BOT}/orders"), &limit).1["id"].as_str().unwrap().to_string();
    let (status, _) = send(s.http.delete(s.url(&format!("{BOT}/orders/{resting}"))).header("X-Bot-Key", &key));
    assert_eq!(status, 204);
    let (status, err) = send(s.http.delete(s.url(&format!("{BOT}/orders/{resting}"))).header("X-Bot-Key", &key));
    assert_eq!((status, err["code"].as_str()), (422, Some("order_not_cancellable")));

    // Well formed but refused: created as REJECTED (201) with its reason.
    let (status, rejected) =
        bot_post(&s, &key, &format!("{BOT}/orders"), &json!({"symbol": "AAPL", "side": "BUY", "quantity": 100000}));
    assert_eq!(status, 201);
    assert_eq!(rejected["status"], "REJECTED");
    assert_eq!(rejected["rejection_code"], "insufficient_buying_power");
    assert!(rejected["rejection_reason"].as_str().unwrap().contains("insufficient buying power"));
    // Malformed: 422 with a detail.
    for bad in [
        json!({"symbol": "AAPL", "quantity": 1}),
        json!({"symbol": "AAPL", "side": "BUY", "quantity": "ten"}),
        json!({"symbol": "AAPL", "side": "HOLD", "quantity": 1}),
        json!({"symbol": "AAPL", "side": "BUY", "quantity": 1, "order_type": "LIMIT"}),
        json!({"symbol": "AAPL", "side": "BUY", "quantity": 0}),
        json!({"symbol": "AAPL", "side": "BUY", "quantity": 1, "limit_pric": 5}),
    ] {
        let (status, err) = bot_post(&s, &key, &format!("{BOT}/orders"), &bad);
        assert_eq!(status, 422, "{bad} → {err}");
        assert!(err["detail"].as_str().is_some_and(|d| !d.is_empty()), "{err}");
    }

    // Lists are bare arrays, newest first, filtered by status; the alias path serves the same.
    let (status, all) = bot_get(&s, &key, &format!("{BOT}/orders"));
    assert_eq!(status, 200);
    assert_eq!(all.as_array().unwrap().len(), 3);
    assert_eq!(all[0]["status"], "REJECTED");
    let (_, filled_only) = bot_get(&s, &key, &format!("{BOT}/orders?status=filled&limit=10"));
    assert_eq!(filled_only.as_array().unwrap().len(), 1);
    assert_eq!(bot_get(&s, &key, "/api/v1/bot/orders?limit=1"), (200, json!([all[0].clone()])));
    assert_eq!(bot_get(&s, &key, &format!("{BOT}/orders?limit=0")).0, 422);
    assert_eq!(bot_get(&s, &key, &format!("{BOT}/orders?status=DONE")).0, 422);

    let (status, portfolio) = bot_get(&s, &key, &format!("{BOT}/portfolio"));
    assert_eq!(status, 200, "{portfolio}");
    let pos = &portfolio["positions"][0];
    assert_eq!(
        (pos["symbol"].as_str(), pos["quantity"].as_str(), pos["asset_type"].as_str()),
        (Some("AAPL"), Some("10.00000000"), Some("STOCK"))
    );
    assert_eq!(pos["avg_cost"], json!(price));
    assert_eq!(portfolio["balance"].as_str().unwrap().split('.').nth(1).unwrap().len(), 2);
    s.advance(20);
    let (status, kpi) = bot_get(&s, &key, &format!("{BOT}/kpi"));
    assert_eq!(status, 200, "{kpi}");
    assert_eq!((kpi["rank"].as_u64(), kpi["rank_total"].as_u64()), (Some(1), Some(1)));
    for k in ["total_return_pct", "win_rate", "max_drawdown", "total_trades", "expectancy", "consecutive_wins"] {
        assert!(kpi[k].is_number(), "kpi lacks {k}: {kpi}");
    }

    // Another account sees none of it.
    let (_, k2, s2) = s.register();
    let t2 = s.login(&k2, &s2);
    let key2 = new_key(&s, &t2, "other").1["key"].as_str().unwrap().to_string();
    assert_eq!(bot_get(&s, &key2, &format!("{BOT}/orders/{id}")).0, 404);
    assert_eq!(send(s.http.delete(s.url(&format!("{BOT}/orders/{id}"))).header("X-Bot-Key", &key2)).0, 404);
    assert_eq!(bot_get(&s, &key2, &format!("{BOT}/orders")).1, json!([]));
    assert_eq!(bot_get(&s, &key2, &format!("{BOT}/portfolio")).1["positions"], json!([]));
    // Its own first order has another id, and the first account's id still names nothing for it.
    let (status, own) =
        bot_post(&s, &key2, &format!("{BOT}/orders"), &json!({"symbol": "AAPL", "side": "BUY", "quantity": 1}));
    assert_eq!(status, 201, "{own}");
    assert_ne!(own["id"], json!(id));
    assert_eq!(bot_get(&s, &key2, &format!("{BOT}/orders/{}", own["id"].as_str().unwrap())).0, 200);
    assert_eq!(bot_get(&s, &key2, &format!("{BOT}/orders/{id}")).0, 404);

    // A restart keeps the market's clock, the orders and the portfolio; the bot key is not on disk.
    let before = (bot_get(&s, &key, &format!("{BOT}/orders")), bot_get(&s, &key, &format!("{BOT}/portfolio")));
    s.kill();
    assert!(!stored_text(&dir.join("vectrade.db")).contains(&key), "a bot key is stored in plaintext");
    let s = Server::start(&dir.join("vectrade.db"));
    assert_eq!((bot_get(&s, &key, &format!("{BOT}/orders")), bot_get(&s, &key, &format!("{BOT}/portfolio"))), before);
}

#[test]
fn bot_routes_are_rate_limited_per_account_with_retry_after() {
    let s = Server::start(&temp_dir("bot-rates").join("vectrade.db"));
    let key = s.bot_key.clone().unwrap();
    let order = json!({"symbol": "AAPL", "side": "BUY", "quantity": 1});
    for i in 0..20 {
        let r = s.http.post(s.url(&format!("{BOT}/orders"))).header("X-Bot-Key", &key).json(&order).send().unwrap();
        assert_eq!(r.status().as_u16(), 201, "order {i}");
        // Each answer says how many requests are left this minute.
        assert_eq!(r.headers()["x-ratelimit-limit"], "120");
        assert_eq!(r.headers()["x-ratelimit-remaining"].to_str().unwrap(), (119 - i).to_string());
    }
    let r = s.http.post(s.url(&format!("{BOT}/orders"))).header("X-Bot-Key", &key).json(&order).send().unwrap();
    assert_eq!(r.status().as_u16(), 429);
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait));
    let body: Value = r.json().unwrap();
    assert_eq!(body["code"], "order_rate_limited");
    // Reads go on until 120 requests a minute (21 used so far).
    for _ in 0..99 {
        assert_eq!(bot_get(&s, &key, &format!("{BOT}/portfolio")).0, 200);
    }
    let r = s.http.get(s.url(&format!("{BOT}/portfolio"))).header("X-Bot-Key", &key).send().unwrap();
    assert_eq!(r.headers()["x-ratelimit-remaining"], "0");
    let (status, body) = (r.status().as_u16(), r.json::<Value>().unwrap());
    assert_eq!((status, body["code"].as_str()), (429, Some("request_rate_limited")));
}

#[test]
fn the_live_market_replays_a_csv_file_and_refuses_other_bars_under_its_name() {
    let dir = temp_dir("bot-csv");
    let csv = dir.join("abc.csv");
    let rows = "date,open,high,low,close,volume\n2024-01-02,100,101,99,100.5,1000\n2024-01-03,102,103,101,102.5,1000\n2024-01-04,103,104,102,103.5,1000\n";
    std::fs::write(&csv, rows).unwrap();
    let db = dir.join("vectrade.db");
    let mut s = Server::start_with(&db, &["--market-csv", csv.to_str().unwrap(), "--market-symbol", "ABC"]);
    let key = s.bot_key.clone().unwrap();
    let (status, placed) =
        bot_post(&s, &key, &format!("{BOT}/orders"), &json!({"symbol": "ABC", "side": "BUY", "quantity": 5}));
    assert_eq!(status, 201, "{placed}");
    let clock = s.advance(1);
    assert_eq!(
        (clock["market"].as_str(), clock["sim_time"].as_str(), clock["steps"].as_u64()),
        (Some("csv-abc"), Some("2024-01-03T00:00:00Z"), Some(3))
    );
    let (_, order) = bot_get(&s, &key, &format!("{BOT}/orders/{}", placed["id"].as_str().unwrap()));
    // The next bar's open, 102, plus the default 2 bps of slippage.
    assert_eq!((order["status"].as_str(), order["filled_price"].as_str()), (Some("FILLED"), Some("102.02040000")));
    s.kill();

    // The same name with other bars would rebuild other portfolios: refused.
    std::fs::write(&csv, rows.replace("102,103,101", "90,103,89")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vectrade-server"))
        .args([
            "--db",
            &db_arg(&db),
            "--secret-file",
            dir.join("vectrade.db.secret").to_str().unwrap(),
            "--port",
            "0",
            "--market-csv",
            csv.to_str().unwrap(),
            "--market-symbol",
            "ABC",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("was built from other bars"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn first_requests_at_once_open_one_portfolio_that_survives_a_restart() {
    let dir = temp_dir("bot-race");
    let db = dir.join("vectrade.db");
    let mut s = Server::start(&db);
    let key = s.bot_key.clone().unwrap();
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| assert_eq!(bot_get(&s, &key, &format!("{BOT}/portfolio")).0, 200));
        }
    });
    let (status, placed) =
        bot_post(&s, &key, &format!("{BOT}/orders"), &json!({"symbol": "AAPL", "side": "BUY", "quantity": 3}));
    assert_eq!(status, 201, "{placed}");
    s.advance(1);
    let before = bot_get(&s, &key, &format!("{BOT}/portfolio"));
    assert_eq!(before.1["positions"][0]["quantity"], "3.00000000");
    s.kill();
    let s = Server::start(&db);
    assert_eq!(bot_get(&s, &key, &format!("{BOT}/portfolio")), before);
}
