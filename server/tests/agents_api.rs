//! The agents API (seed 004) over HTTP against the real binary: JWT-only management, agents with
//! their own key, balance and risk profile enforced by the engine on the bot and benchmark routes,
//! key retrieval and regeneration, archive, reset, delete, and cross-tenant refusals.

mod common;

use common::{Server, send, stored_text, temp_dir};
use serde_json::{Value, json};

const BOT: &str = "/api/trade/v1/bot";

struct Jwt<'a> {
    s: &'a Server,
    token: String,
}

impl Jwt<'_> {
    fn get(&self, path: &str) -> (u16, Value) {
        send(self.s.http.get(self.s.url(path)).bearer_auth(&self.token))
    }
    fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        send(self.s.http.post(self.s.url(path)).bearer_auth(&self.token).json(body))
    }
    fn put(&self, path: &str, body: &Value) -> (u16, Value) {
        send(self.s.http.put(self.s.url(path)).bearer_auth(&self.token).json(body))
    }
    fn delete(&self, path: &str) -> (u16, Value) {
        send(self.s.http.delete(self.s.url(path)).bearer_auth(&self.token))
    }
}

fn as_agent(s: &Server, key: &str, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let r = match method {
        "GET" => s.http.get(s.url(path)),
        _ => s.http.post(s.url(path)),
    }
    .header("X-API-Key", key);
    send(match body {
        Some(b) => r.json(b),
        None => r,
    })
}

fn rsi_scalper() -> Value {
    json!({
        "display_name": "RSI Scalper",
        "starting_balance": "5000.00",
        "llm_model": "claude-sonnet-4-6",
        "framework": "custom",
        "strategy_tags": ["rsi", "scalping"],
        "risk_profile": {"max_position_size_pct": 20, "daily_loss_limit_pct": 10, "max_open_orders": 2}
    })
}

#[test]
fn agents_are_managed_with_a_jwt_and_trade_their_own_balance_under_their_limits() {
    let dir = temp_dir("agents");
    let s = Server::start(&dir.join("vectrade.db"));
    let j = Jwt { s: &s, token: s.login(s.key(), s.api_secret.as_deref().unwrap()) };

    let (status, created) = j.post("/api/v1/agents", &rsi_scalper());
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["starting_balance"], "5000.00000000");
    let key = created["api_key"].as_str().unwrap().to_string();
    assert!(key.starts_with("ak_live_"));
    let id = created["agent_id"].as_str().unwrap().to_string();

    let (status, agent) = j.get(&format!("/api/v1/agents/{id}"));
    assert_eq!(status, 200);
    assert_eq!(agent["api_key_preview"], json!(&key[..12]));
    assert_eq!(agent["status"], "active");
    assert_eq!(
        agent["risk_profile"],
        json!({"max_position_size_pct": 20, "daily_loss_limit_pct": 10, "max_open_orders": 2})
    );
    assert_eq!(agent["avatar_url"], Value::Null);
    // The key can be given back (it is sealed, not stored in plaintext).
    let (status, k) = j.get(&format!("/api/v1/agents/{id}/api-key"));
    assert_eq!((status, k["api_key"].as_str()), (200, Some(key.as_str())));

    // Validation: 422 with the nested error body.
    for (body, field) in [
        (json!({"display_name": ""}), "display_name"),
        (json!({"display_name": "x", "starting_balance": "-5"}), "starting_balance"),
        (json!({"display_name": "x", "starting_balance": "1.123456789"}), "starting_balance"),
        (json!({"display_name": "x", "color": "blue"}), "color"),
        (json!({"display_name": "x", "risk_profile": {"max_open_orders": 0}}), "max_open_orders"),
        (json!({"display_name": "x", "risk_profile": {"max_position_size_pct": 101}}), "max_position_size_pct"),
    ] {
        let (status, err) = j.post("/api/v1/agents", &body);
        assert_eq!(status, 422, "{body} → {err}");
        assert_eq!(err["error"]["code"], "validation_error");
        assert_eq!(err["error"]["details"]["field"], field, "{err}");
    }
    let (status, err) = j.post("/api/v1/agents", &json!({"display_name": "x", "colour": "#000000"}));
    assert_eq!((status, err["error"]["code"].as_str()), (422, Some("invalid_request")));

    // Its own balance on the live market, apart from the account's bot portfolio.
    let (status, p) = as_agent(&s, &key, "GET", &format!("{BOT}/portfolio"), None);
    assert_eq!((status, p["balance"].as_str()), (200, Some("5000.00")), "{p}");
    // Its risk profile, enforced by the engine with the engine's codes.
    let big = json!({"symbol": "AAPL", "side": "BUY", "quantity": 10});
    let (status, o) = as_agent(&s, &key, "POST", &format!("{BOT}/orders"), Some(&big));
    assert_eq!(
        (status, o["status"].as_str(), o["rejection_code"].as_str()),
        (201, Some("REJECTED"), Some("max_position_size_exceeded")),
        "{o}"
    );
    let small = json!({"symbol": "AAPL", "side": "BUY", "quantity": 1, "order_type": "LIMIT", "limit_price": "1.00"});
    for _ in 0..2 {
        assert_eq!(as_agent(&s, &key, "POST", &format!("{BOT}/orders"), Some(&small)).1["status"], "OPEN");
    }
    let (_, third) = as_agent(&s, &key, "POST", &format!("{BOT}/orders"), Some(&small));
    assert_eq!(third["rejection_code"], "max_open_orders_exceeded");
    // A new risk profile applies from the next order.
    let (status, r) = j.put(
        &format!("/api/v1/agents/{id}/risk-profile"),
        &json!({"max_position_size_pct": 20, "daily_loss_limit_pct": 10, "max_open_orders": 3}),
    );
    assert_eq!((status, r["max_open_orders"].as_u64()), (200, Some(3)));
    assert_eq!(as_agent(&s, &key, "POST", &format!("{BOT}/orders"), Some(&small)).1["status"], "OPEN");
    assert_eq!(j.put(&format!("/api/v1/agents/{id}/risk-profile"), &json!({"max_position_size_pct": 20})).0, 422);

    // On the benchmark routes, the agent's runs are its own and its limits apply.
    let (status, run) = as_agent(&s, &key, "POST", "/api/v1/runs", Some(&json!({"scenario_slug": "tech-2024-q2"})));
    assert_eq!(status, 201, "{run}");
    let run_id = run["run"]["id"].as_str().unwrap().to_string();
    let (status, err) = as_agent(
        &s,
        &key,
        "POST",
        &format!("/api/v1/runs/{run_id}/trades"),
        Some(&json!({"symbol": "AAPL", "side": "buy", "quantity": 200})),
    );
    assert_eq!((status, err["code"].as_str()), (400, Some("max_position_size_exceeded")), "{err}");
    assert_eq!(s.get(&format!("/api/v1/runs/{run_id}"), Some(s.key())).0, 403, "the account key is not the agent");
    // The account's billing is not the agent's business.
    assert_eq!(as_agent(&s, &key, "GET", "/api/v1/billing/account", None).0, 403);
    assert_eq!(as_agent(&s, &key, "POST", "/api/v1/billing/checkout", Some(&json!({}))).0, 403);

    // The account's JWT with X-Agent-Id acts as the agent (seed 004), on both families of routes.
    let as_jwt = |path: &str, agent: Option<&str>| {
        let mut r = s.http.get(s.url(path)).bearer_auth(&j.token);
        if let Some(a) = agent {
            r = r.header("X-Agent-Id", a);
        }
        send(r)
    };
    assert_eq!(
        as_jwt(&format!("{BOT}/portfolio"), Some(&id)),
        as_agent(&s, &key, "GET", &format!("{BOT}/portfolio"), None)
    );
    assert_eq!(as_jwt(&format!("/api/v1/runs/{run_id}"), Some(&id)).0, 200);
    let (status, err) = as_jwt(&format!("{BOT}/portfolio"), None);
    assert_eq!(status, 401);
    assert!(err["detail"].as_str().unwrap().contains("X-Agent-Id"), "{err}");
    // Another account's JWT does not reach the agent.
    let (_, k2, s2) = s.register();
    let other = s.login(&k2, &s2);
    let (status, _) =
        send(s.http.get(s.url(&format!("{BOT}/portfolio"))).bearer_auth(&other).header("X-Agent-Id", &id));
    assert_eq!(status, 403);
    let (status, _) =
        send(s.http.get(s.url(&format!("/api/v1/runs/{run_id}"))).bearer_auth(&other).header("X-Agent-Id", &id));
    assert_eq!(status, 403);

    // Update, clone, list.
    let (status, updated) = j.put(&format!("/api/v1/agents/{id}"), &json!({"display_name": "RSI Scalper v2"}));
    assert_eq!(
        (status, updated["display_name"].as_str(), updated["llm_model"].as_str()),
        (200, Some("RSI Scalper v2"), Some("claude-sonnet-4-6"))
    );
    let (status, clone) = j.post(&format!("/api/v1/agents/{id}/clone"), &json!({}));
    assert_eq!(status, 201);
    assert_eq!(clone["display_name"], "RSI Scalper v2 (copy)");
    let clone_id = clone["agent_id"].as_str().unwrap();
    assert_eq!(j.get(&format!("/api/v1/agents/{clone_id}/risk-profile")).1["max_open_orders"], 3);
    let (_, cp) = as_agent(&s, clone["api_key"].as_str().unwrap(), "GET", &format!("{BOT}/portfolio"), None);
    assert_eq!(cp["balance"], "5000.00", "a clone starts with a fresh balance");
    let (status, list) = j.get("/api/v1/agents?limit=1&offset=1");
    assert_eq!((status, list["total"].as_u64(), list["agents"].as_array().unwrap().len()), (200, Some(2), 1));
    assert_eq!(list["agents"][0]["id"], json!(clone_id));

    // Regenerate: the old key is refused at once, the new one works and is the one given back.
    let (status, fresh) = j.post(&format!("/api/v1/agents/{id}/regenerate-key"), &json!({}));
    assert_eq!(status, 200);
    let new_key = fresh["api_key"].as_str().unwrap().to_string();
    assert_ne!(new_key, key);
    assert_eq!(as_agent(&s, &key, "GET", &format!("{BOT}/portfolio"), None).0, 401);
    assert_eq!(as_agent(&s, &new_key, "GET", &format!("{BOT}/portfolio"), None).0, 200);
    assert_eq!(j.get(&format!("/api/v1/agents/{id}/api-key")).1["api_key"], json!(new_key));

    // skill.md carries the agent's key.
    let r = s.http.get(s.url(&format!("/api/v1/agents/{id}/skill.md"))).bearer_auth(&j.token).send().unwrap();
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/markdown"));
    let text = r.text().unwrap();
    assert!(text.starts_with("# Agent: RSI Scalper v2\n# Agent ID: "), "{text}");
    assert!(text.contains(&new_key));

    // Reset: orders cancelled, balance restored.
    let (status, _) = j.post(&format!("/api/v1/agents/{id}/reset"), &json!({}));
    assert_eq!(status, 200);
    let (_, open) = as_agent(&s, &new_key, "GET", &format!("{BOT}/orders?status=OPEN"), None);
    assert_eq!(open, json!([]));

    // Archive: kept, listed only with include_archived, its key trades nothing.
    let (status, archived) = j.post(&format!("/api/v1/agents/{id}/archive"), &json!({}));
    assert_eq!((status, archived["status"].as_str()), (200, Some("archived")));
    assert_eq!(as_agent(&s, &new_key, "GET", &format!("{BOT}/portfolio"), None).0, 401);
    assert_eq!(as_agent(&s, &new_key, "GET", "/api/v1/billing/account", None).0, 401);
    assert_eq!(j.get("/api/v1/agents").1["total"], 1);
    assert_eq!(j.get("/api/v1/agents?include_archived=true").1["total"], 2);
    assert_eq!(j.get("/api/v1/agents/overview").1["total"], 1);

    // Nothing secret on disk.
    let text = stored_text(&dir.join("vectrade.db"));
    assert!(!text.contains(&new_key) && !text.contains(&key), "an agent key is stored in plaintext");

    // Delete: gone, with its runs.
    let (status, _) = j.delete(&format!("/api/v1/agents/{id}"));
    assert_eq!(status, 204);
    assert_eq!(j.get(&format!("/api/v1/agents/{id}")).0, 404);
    assert_eq!(s.get(&format!("/api/v1/runs/{run_id}/public"), None).0, 404);
}

#[test]
fn agent_routes_take_only_the_owners_jwt() {
    let s = Server::start(&temp_dir("agents-auth").join("vectrade.db"));
    let owner = Jwt { s: &s, token: s.login(s.key(), s.api_secret.as_deref().unwrap()) };
    let id = owner.post("/api/v1/agents", &json!({"display_name": "A"})).1["agent_id"].as_str().unwrap().to_string();
    assert_eq!(
        owner.get(&format!("/api/v1/agents/{id}/risk-profile")).1,
        json!({"max_position_size_pct": 25, "daily_loss_limit_pct": 20, "max_open_orders": 50})
    );

    let (status, err) = send(s.http.get(s.url("/api/v1/agents")));
    assert_eq!((status, err["error"]["code"].as_str()), (401, Some("unauthorized")));
    let api_key = Jwt { s: &s, token: s.key().to_string() };
    assert_eq!(api_key.get("/api/v1/agents").0, 401, "an API key is not a JWT");
    let bot_key = Jwt { s: &s, token: s.bot_key.clone().unwrap() };
    assert_eq!(bot_key.get("/api/v1/agents").0, 403, "a bot key cannot manage agents");

    let (_, k2, s2) = s.register();
    let other = Jwt { s: &s, token: s.login(&k2, &s2) };
    for path in ["", "/api-key", "/risk-profile", "/skill.md"] {
        assert_eq!(other.get(&format!("/api/v1/agents/{id}{path}")).0, 404, "GET {path}");
    }
    for path in ["/clone", "/reset", "/archive", "/regenerate-key"] {
        assert_eq!(other.post(&format!("/api/v1/agents/{id}{path}"), &json!({})).0, 404, "POST {path}");
    }
    assert_eq!(other.put(&format!("/api/v1/agents/{id}"), &json!({"display_name": "mine"})).0, 404);
    assert_eq!(other.delete(&format!("/api/v1/agents/{id}")).0, 404);
    assert_eq!(other.get("/api/v1/agents").1["total"], 0);
    assert_eq!(owner.get(&format!("/api/v1/agents/{id}")).1["display_name"], "A", "untouched");
}
