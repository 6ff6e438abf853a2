//! The trade journal (seed 002) over HTTP against the real binary: trades created with entries,
//! exits added until the trade closes, list, get, update, every validation message of the seed, the
//! 401/403/404 bodies, other accounts refused, and trades kept across a restart.

mod common;

use common::{Server, send, temp_dir};
use serde_json::{Value, json};

fn start(name: &str) -> Server {
    Server::start(&temp_dir(name).join("vectrade.db"))
}

fn entry(quantity: u32, status: &str) -> Value {
    json!({
        "transactionGroup": "entry", "symbol": "AAPL", "assetType": "stock", "side": "buy", "type": "market",
        "quantity": quantity, "transactionDate": "2024-01-15T10:30:05Z", "status": status, "filledPrice": "150.25"
    })
}

fn exit(exit_type: &str, quantity: u32, status: &str) -> Value {
    let mut t = json!({
        "transactionGroup": "exit", "exitType": exit_type, "symbol": "AAPL", "assetType": "stock", "side": "sell",
        "type": "limit", "price": "160.00", "quantity": quantity, "transactionDate": "2024-01-15T11:00:00.000Z",
        "status": status
    });
    if exit_type == "trim" {
        t["trimLevel"] = json!(1);
    }
    t
}

fn patch(s: &Server, path: &str, key: Option<&str>, body: &Value) -> (u16, Value) {
    let mut r = s.http.patch(s.url(path)).json(body);
    if let Some(k) = key {
        r = r.header("x-api-key", k);
    }
    send(r)
}

/// Creates a trade of `slug` with one filled entry of 100; returns its id.
fn new_trade(s: &Server, key: &str, slug: &str) -> String {
    let (status, body) =
        s.post(&format!("/api/bots/{slug}/trades"), Some(key), &json!({"transactions": [entry(100, "filled")]}));
    assert_eq!(status, 201, "{body}");
    body["trade"]["id"].as_str().unwrap().to_string()
}

fn assert_bad_request(answer: (u16, Value), message: &str) {
    let (status, body) = answer;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], message, "{body}");
    assert_eq!(body["code"], "BAD_REQUEST");
    assert_eq!(body["error_code"], "invalid_request");
}

#[test]
fn a_trade_opens_is_trimmed_and_closes() {
    let s = start("journal-happy");
    let key = s.key().to_string();
    let (status, created) = s.post(
        "/api/bots/my-bot/trades",
        Some(&key),
        &json!({
            "signalAt": "2024-01-15T10:30:00Z",
            "notes": "breakout",
            "metadata": {"strategy": "orb"},
            // Python's datetime.now().isoformat(): microseconds, no offset (read as UTC).
            "transactions": [entry(60, "filled"), {
                "transactionGroup": "entry", "symbol": "AAPL", "assetType": "stock", "side": "buy", "type": "limit",
                "quantity": 40, "transactionDate": "2024-01-15T10:31:00.123456", "status": "filled"
            }]
        }),
    );
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["success"], true);
    assert_eq!(created["transactionsAdded"], 2);
    let trade = &created["trade"];
    let id = trade["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "a UUID");
    assert_eq!(trade["symbol"], "AAPL");
    assert_eq!(trade["tradeType"], "long");
    assert_eq!(trade["status"], "open");
    assert_eq!(trade["signalAt"], "2024-01-15T10:30:00.000Z");
    assert_eq!(trade["openedAt"], "2024-01-15T10:30:05.000Z", "the earliest entry");
    assert_eq!(trade["notes"], "breakout");
    assert_eq!(trade["metadata"], json!({"strategy": "orb"}));
    assert!(trade["botId"].as_str().is_some_and(|b| b.len() == 36));
    let txs = trade["transactions"].as_array().unwrap();
    assert_eq!(txs.len(), 2);
    assert_eq!(txs[0]["transactionGroup"], "entry");
    assert_eq!(txs[0]["quantity"], 60);
    assert_eq!(txs[0]["filledPrice"], "150.25");
    assert_eq!(txs[0]["metadata"], json!({}), "metadata defaults to {{}}");
    assert_eq!(txs[1]["transactionDate"], "2024-01-15T10:31:00.123Z");
    let created_update = trade["lastUpdateAt"].as_str().unwrap().to_string();

    // A resting take-profit changes nothing; a filled trim leaves part of the position.
    let path = format!("/api/bots/my-bot/trades/{id}/transactions");
    let (status, added) = s.post(
        &path,
        Some(&key),
        &json!({"transactions": [exit("take_profit", 50, "open"), exit("trim", 50, "filled")]}),
    );
    assert_eq!(status, 200, "{added}");
    assert_eq!(added["success"], true);
    assert_eq!(added["transactionsAdded"], 2);
    assert_eq!(added["trade"]["status"], "partially_closed");
    assert_eq!(added["trade"]["transactions"][3]["trimLevel"], 1);
    assert!(added["trade"]["lastUpdateAt"].as_str().unwrap() >= created_update.as_str());

    // The take-profit fills in part, then the rest: closed.
    let mut partial = exit("take_profit", 50, "partially_filled");
    partial["filledQuantity"] = json!("20");
    let (status, added) = s.post(&path, Some(&key), &json!({"transactions": [partial]}));
    assert_eq!((status, &added["trade"]["status"]), (200, &json!("partially_closed")), "{added}");
    let (status, added) = s.post(&path, Some(&key), &json!({"transactions": [exit("take_profit", 30, "filled")]}));
    assert_eq!((status, &added["trade"]["status"]), (200, &json!("closed")), "{added}");
    assert_eq!(added["transactionsAdded"], 1);

    // Get, list with filters and pages, update.
    let (status, one) = s.get(&format!("/api/bots/my-bot/trades/{id}"), Some(&key));
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["success"], true);
    assert_eq!(one["trade"]["status"], "closed");
    assert_eq!(one["trade"]["transactions"].as_array().unwrap().len(), 6);
    let other = new_trade(&s, &key, "my-bot");
    let (status, list) = s.get("/api/bots/my-bot/trades", Some(&key));
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], 2);
    assert_eq!(list["trades"][0]["id"], json!(other), "newest first");
    let (_, closed) = s.get("/api/bots/my-bot/trades?status=closed", Some(&key));
    assert_eq!((closed["total"].as_u64(), &closed["trades"][0]["id"]), (Some(1), &json!(id)));
    let (_, page) = s.get("/api/bots/my-bot/trades?limit=1&offset=1", Some(&key));
    assert_eq!((page["total"].as_u64(), page["trades"].as_array().unwrap().len()), (Some(2), 1));
    let (_, none) = s.get("/api/bots/my-bot/trades?symbol=MSFT", Some(&key));
    assert_eq!(none["trades"], json!([]), "empty lists are [], never null");
    assert_bad_request(
        s.get("/api/bots/my-bot/trades?status=done", Some(&key)),
        "status must be one of 'open', 'partially_closed', 'closed', got 'done'",
    );
    assert_bad_request(
        s.get("/api/bots/my-bot/trades?limit=0", Some(&key)),
        "limit must be an integer from 1 to 500, got '0'",
    );

    let trade_path = format!("/api/bots/my-bot/trades/{id}");
    let (status, updated) = patch(
        &s,
        &trade_path,
        Some(&key),
        &json!({"notes": "took profit", "metadata": {"grade": "A"}, "signalAt": "2024-01-15T10:29:00Z"}),
    );
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["trade"]["notes"], "took profit");
    assert_eq!(updated["trade"]["metadata"], json!({"grade": "A"}));
    assert_eq!(updated["trade"]["signalAt"], "2024-01-15T10:29:00.000Z");
    assert_eq!(updated["trade"]["status"], "closed");
    let (status, cleared) = patch(&s, &trade_path, Some(&key), &json!({"notes": null}));
    assert_eq!(status, 200);
    assert!(cleared["trade"]["notes"].is_null());
    assert_eq!(cleared["trade"]["metadata"], json!({"grade": "A"}), "left as it was");
    assert_bad_request(
        patch(&s, &trade_path, Some(&key), &json!({"status": "open"})),
        "status is recalculated from the transactions and cannot be set",
    );
    assert_bad_request(
        patch(&s, &trade_path, Some(&key), &json!({})),
        "a trade update needs at least one of notes, metadata, signalAt",
    );
    assert_bad_request(patch(&s, &trade_path, Some(&key), &json!({"metadata": 3})), "metadata must be an object");
}

#[test]
fn a_short_trade_and_the_trades_own_fields() {
    let s = start("journal-short");
    let key = s.key().to_string();
    let mut short = entry(10, "filled");
    short["side"] = json!("sell_short");
    let (status, created) = s.post("/api/bots/shorty/trades", Some(&key), &json!({"transactions": [short]}));
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["trade"]["tradeType"], "short");
    assert_eq!(created["trade"]["signalAt"], created["trade"]["openedAt"], "the signal defaults to the first entry");
    let mut odd = entry(10, "filled");
    odd["side"] = json!("hold");
    assert_bad_request(
        s.post("/api/bots/shorty/trades", Some(&key), &json!({"transactions": [odd.clone()]})),
        "tradeType is required ('long' or 'short') when the first entry's side is 'hold' (not 'buy' or 'sell')",
    );
    let (status, given) = s.post(
        "/api/bots/shorty/trades",
        Some(&key),
        &json!({"tradeType": "long", "symbol": "AAPL240119C00150000", "transactions": [odd]}),
    );
    assert_eq!((status, &given["trade"]["tradeType"]), (201, &json!("long")), "{given}");
    assert_eq!(given["trade"]["symbol"], "AAPL240119C00150000");
    assert_bad_request(
        s.post(
            "/api/bots/shorty/trades",
            Some(&key),
            &json!({"tradeType": "flat", "transactions": [entry(1, "filled")]}),
        ),
        "tradeType must be 'long' or 'short'",
    );
    assert_bad_request(
        s.post("/api/bots/shorty/trades", Some(&key), &json!({"transactions": [exit("stop", 1, "open")]})),
        "transactions must include at least one entry transaction",
    );
    assert_bad_request(
        s.post(
            "/api/bots/shorty/trades",
            Some(&key),
            &json!({"signalAt": "yesterday", "transactions": [entry(1, "filled")]}),
        ),
        "signalAt must be a valid ISO timestamp",
    );
}

#[test]
fn every_validation_message_of_the_seed() {
    let s = start("journal-validation");
    let key = s.key().to_string();
    let id = new_trade(&s, &key, "my-bot");
    let path = format!("/api/bots/my-bot/trades/{id}/transactions");

    let raw = |path: &str, body: &'static str| {
        send(s.http.post(s.url(path)).header("x-api-key", &key).header("content-type", "application/json").body(body))
    };
    assert_bad_request(raw(&path, "{not json"), "Invalid JSON in request body");
    assert_bad_request(raw(&path, ""), "Invalid JSON in request body");
    assert_bad_request(raw("/api/bots/my-bot/trades", "[1,"), "Invalid JSON in request body");
    for body in [json!({}), json!({"transactions": []}), json!({"transactions": "x"}), json!([1])] {
        assert_bad_request(s.post(&path, Some(&key), &body), "transactions array required and cannot be empty");
        assert_bad_request(
            s.post("/api/bots/my-bot/trades", Some(&key), &body),
            "transactions array required and cannot be empty",
        );
    }

    let with = |field: &str, value: Value| {
        let mut t = exit("trim", 10, "filled");
        if value.is_null() {
            t.as_object_mut().unwrap().remove(field);
        } else {
            t[field] = value;
        }
        json!({"transactions": [t]})
    };
    let cases = [
        (with("transactionGroup", json!("close")), "transactions[0].transactionGroup must be 'entry' or 'exit'"),
        (with("transactionGroup", Value::Null), "transactions[0].transactionGroup must be 'entry' or 'exit'"),
        (with("exitType", Value::Null), "transactions[0].exitType is required for exit transactions"),
        (with("exitType", json!("")), "transactions[0].exitType is required for exit transactions"),
        (with("trimLevel", Value::Null), "transactions[0].trimLevel is required and must be a number for trim exits"),
        (with("trimLevel", json!("1")), "transactions[0].trimLevel is required and must be a number for trim exits"),
        (with("symbol", Value::Null), "transactions[0].symbol is required and must be a string"),
        (with("symbol", json!(42)), "transactions[0].symbol is required and must be a string"),
        (with("symbol", json!("")), "transactions[0].symbol is required and must be a string"),
        (with("assetType", Value::Null), "transactions[0].assetType is required and must be a string"),
        (with("side", json!(["sell"])), "transactions[0].side is required and must be a string"),
        (with("type", Value::Null), "transactions[0].type is required and must be a string"),
        (with("quantity", json!("100")), "transactions[0].quantity is required and must be a number"),
        (with("quantity", Value::Null), "transactions[0].quantity is required and must be a number"),
        (with("quantity", json!(0)), "transactions[0].quantity must be a number greater than 0"),
        (with("quantity", json!(-5)), "transactions[0].quantity must be a number greater than 0"),
        (with("quantity", json!(1e16)), "transactions[0].quantity must be at most 1000000000000000"),
        (
            with("transactionDate", Value::Null),
            "transactions[0].transactionDate is required and must be a valid ISO timestamp",
        ),
        (
            with("transactionDate", json!("2024-13-01T00:00:00Z")),
            "transactions[0].transactionDate is required and must be a valid ISO timestamp",
        ),
        (
            with("transactionDate", json!(1705314600000_i64)),
            "transactions[0].transactionDate is required and must be a valid ISO timestamp",
        ),
        (with("filledAt", json!("soon")), "transactions[0].filledAt must be a valid ISO timestamp"),
        (
            with("filledQuantity", json!("lots")),
            "transactions[0].filledQuantity must be a number of units, 0 or more, as a string",
        ),
        (with("broker", json!(7)), "transactions[0].broker must be a string"),
        (with("metadata", json!([1])), "transactions[0].metadata must be an object"),
    ];
    for (body, message) in cases {
        assert_bad_request(s.post(&path, Some(&key), &body), message);
    }
    // The index names the transaction at fault; the first problem is the one reported.
    let mut second = exit("stop", 10, "open");
    second.as_object_mut().unwrap().remove("exitType");
    assert_bad_request(
        s.post(&path, Some(&key), &json!({"transactions": [exit("stop", 10, "open"), second]})),
        "transactions[1].exitType is required for exit transactions",
    );
    assert_bad_request(s.post(&path, Some(&key), &json!({"transactions": [1]})), "transactions[0] must be an object");
    // Nothing of a refused request was kept; an entry needs no exitType, prices may come as numbers.
    let (_, one) = s.get(&format!("/api/bots/my-bot/trades/{id}"), Some(&key));
    assert_eq!(one["trade"]["transactions"].as_array().unwrap().len(), 1);
    let mut more = entry(5, "open");
    more["price"] = json!(149.5);
    let (status, added) = s.post(&path, Some(&key), &json!({"transactions": [more]}));
    assert_eq!(status, 200, "{added}");
    assert_eq!(added["trade"]["transactions"][1]["price"], "149.5");

    // Slugs: /^[a-zA-Z0-9_-]+$/.
    let (status, bad) = s.post("/api/bots/my.bot/trades", Some(&key), &json!({"transactions": [entry(1, "filled")]}));
    assert_eq!(status, 400, "{bad}");
    assert_eq!(bad["code"], "BAD_REQUEST");
    assert!(bad["error"].as_str().unwrap().contains("/^[a-zA-Z0-9_-]+$/"), "{bad}");
    assert_eq!(s.get("/api/bots/my%20bot/trades", Some(&key)).0, 400);
    assert_eq!(s.get(&format!("/api/bots/{}/trades", "a".repeat(129)), Some(&key)).0, 400);
}

#[test]
fn keys_bots_and_trades_are_refused_as_the_seed_says() {
    let s = start("journal-auth");
    let key = s.key().to_string();
    let id = new_trade(&s, &key, "my-bot");
    let body = json!({"transactions": [exit("stop", 100, "filled")]});
    let add = format!("/api/bots/my-bot/trades/{id}/transactions");

    for (status, answer) in [
        s.post(&add, None, &body),
        s.get("/api/bots/my-bot/trades", None),
        s.post("/api/bots/my-bot/trades", None, &body),
        patch(&s, &format!("/api/bots/my-bot/trades/{id}"), None, &json!({"notes": "x"})),
    ] {
        assert_eq!(status, 401);
        assert_eq!(answer["message"], "API key required. Include x-api-key header.");
        assert_eq!(answer["error_code"], "unauthorized");
    }
    let (status, answer) = s.post(&add, Some("ak_live_not_a_key"), &body);
    assert_eq!((status, &answer["message"]), (403, &json!("Invalid API key for this bot")), "{answer}");
    assert_eq!(answer["error_code"], "forbidden");

    let (status, answer) = s.get("/api/bots/nobody/trades", Some(&key));
    assert_eq!(status, 404);
    assert_eq!(answer["error"], "Bot with slug 'nobody' not found");
    assert_eq!(answer["code"], "NOT_FOUND");
    assert_eq!(answer["error_code"], "bot_not_found");
    let (status, answer) = s.post("/api/bots/nobody/trades/x/transactions", Some(&key), &body);
    assert_eq!((status, &answer["error"]), (404, &json!("Bot with slug 'nobody' not found")));

    for path in [format!("/api/bots/my-bot/trades/{}", uuid_like()), "/api/bots/my-bot/trades/not-a-uuid".into()] {
        let (status, answer) = s.get(&path, Some(&key));
        assert_eq!((status, &answer["error"], &answer["code"]), (404, &json!("Trade not found"), &json!("NOT_FOUND")));
        let (status, answer) = s.post(&format!("{path}/transactions"), Some(&key), &body);
        assert_eq!((status, &answer["error"]), (404, &json!("Trade not found")), "{answer}");
        let (status, _) = patch(&s, &path, Some(&key), &json!({"notes": "x"}));
        assert_eq!(status, 404);
    }
    // An unknown route under the journal answers in the journal's shape.
    let (status, answer) = s.get("/api/bots/my-bot/nope", Some(&key));
    assert_eq!((status, &answer["code"]), (404, &json!("NOT_FOUND")), "{answer}");
}

fn uuid_like() -> &'static str {
    "111e4567-e89b-12d3-a456-426614174001"
}

#[test]
fn another_account_never_reaches_a_bot_or_trade_it_does_not_own() {
    let s = start("journal-tenants");
    let key = s.key().to_string();
    let (_, other_key, _) = s.register();
    let id = new_trade(&s, &key, "alpha");
    let body = json!({"transactions": [exit("stop", 100, "filled")]});

    // The other account's key on the first account's bot: 403 on every route, nothing created.
    let forbidden = [
        s.get("/api/bots/alpha/trades", Some(&other_key)),
        s.get(&format!("/api/bots/alpha/trades/{id}"), Some(&other_key)),
        s.post("/api/bots/alpha/trades", Some(&other_key), &json!({"transactions": [entry(1, "filled")]})),
        s.post(&format!("/api/bots/alpha/trades/{id}/transactions"), Some(&other_key), &body),
        patch(&s, &format!("/api/bots/alpha/trades/{id}"), Some(&other_key), &json!({"notes": "mine"})),
    ];
    for (status, answer) in forbidden {
        assert_eq!((status, &answer["message"]), (403, &json!("Invalid API key for this bot")), "{answer}");
        assert!(answer.get("trade").is_none());
    }
    // Through its own bot, the first account's trade id is not found.
    let own = new_trade(&s, &other_key, "beta");
    assert_eq!(s.get(&format!("/api/bots/beta/trades/{id}"), Some(&other_key)).0, 404);
    assert_eq!(s.post(&format!("/api/bots/beta/trades/{id}/transactions"), Some(&other_key), &body).0, 404);
    assert_eq!(patch(&s, &format!("/api/bots/beta/trades/{id}"), Some(&other_key), &json!({"notes": "x"})).0, 404);
    // Nor the other way round, even for the owner of both ids' accounts' bots.
    assert_eq!(s.get(&format!("/api/bots/alpha/trades/{own}"), Some(&key)).0, 404);

    let (_, mine) = s.get(&format!("/api/bots/alpha/trades/{id}"), Some(&key));
    assert_eq!(mine["trade"]["status"], "open", "untouched by the refused exit");
    assert!(mine["trade"].get("notes").is_none());
    let (_, list) = s.get("/api/bots/alpha/trades", Some(&key));
    assert_eq!(list["total"], 1);
    let (_, theirs) = s.get("/api/bots/beta/trades", Some(&other_key));
    assert_eq!(theirs["total"], 1);
}

#[test]
fn trades_and_their_status_survive_a_restart() {
    let dir = temp_dir("journal-restart");
    let db = dir.join("vectrade.db");
    let mut s = Server::start(&db);
    let key = s.key().to_string();
    let id = new_trade(&s, &key, "durable");
    let path = format!("/api/bots/durable/trades/{id}/transactions");
    let (status, added) = s.post(&path, Some(&key), &json!({"transactions": [exit("trim", 40, "filled")]}));
    assert_eq!((status, &added["trade"]["status"]), (200, &json!("partially_closed")));
    let (_, before) = s.get(&format!("/api/bots/durable/trades/{id}"), Some(&key));
    s.kill();

    let s = Server::start(&db);
    let (status, after) = s.get(&format!("/api/bots/durable/trades/{id}"), Some(&key));
    assert_eq!(status, 200, "{after}");
    assert_eq!(after, before, "the acknowledged trade is kept whole");
    let (status, added) = s.post(&path, Some(&key), &json!({"transactions": [exit("take_profit", 60, "filled")]}));
    assert_eq!((status, &added["trade"]["status"]), (200, &json!("closed")), "{added}");
    assert_eq!(added["trade"]["transactions"].as_array().unwrap().len(), 3);
    // The bot still belongs to its account.
    let (_, other_key, _) = s.register();
    assert_eq!(s.get("/api/bots/durable/trades", Some(&other_key)).0, 403);
}

#[test]
fn the_journal_is_in_the_openapi_document() {
    let doc = serde_json::to_value(vectrade_server::openapi()).unwrap();
    for (path, method) in [
        ("/api/bots/{slug}/trades", "post"),
        ("/api/bots/{slug}/trades", "get"),
        ("/api/bots/{slug}/trades/{tradeId}", "get"),
        ("/api/bots/{slug}/trades/{tradeId}", "patch"),
        ("/api/bots/{slug}/trades/{tradeId}/transactions", "post"),
    ] {
        let op = &doc["paths"][path][method];
        assert_eq!(op["tags"][0], "journal", "{method} {path}");
    }
    assert!(doc["components"]["schemas"]["TradeReply"]["properties"]["transactionsAdded"].is_object());
}

#[test]
fn concurrent_exits_are_each_counted_once() {
    let s = start("journal-concurrent");
    let key = s.key().to_string();
    let id = new_trade(&s, &key, "busy");
    let path = format!("/api/bots/busy/trades/{id}/transactions");
    // 20 trims of 5 from 4 threads. Each answer is the trade right after its own change: the
    // counts of transactions seen are 2 to 21, once each, each with the status its count gives.
    let seen = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..5 {
                    let (status, body) =
                        s.post(&path, Some(&key), &json!({"transactions": [exit("trim", 5, "filled")]}));
                    assert_eq!(status, 200, "{body}");
                    let n = body["trade"]["transactions"].as_array().unwrap().len();
                    let expected = if n == 21 { "closed" } else { "partially_closed" };
                    assert_eq!(body["trade"]["status"], expected, "{n} transactions");
                    seen.lock().unwrap().push(n);
                }
            });
        }
    });
    let mut seen = seen.into_inner().unwrap();
    seen.sort_unstable();
    assert_eq!(seen, (2..=21).collect::<Vec<_>>());
    let (_, one) = s.get(&format!("/api/bots/busy/trades/{id}"), Some(&key));
    assert_eq!(one["trade"]["transactions"].as_array().unwrap().len(), 21);
    assert_eq!(one["trade"]["status"], "closed");
}
