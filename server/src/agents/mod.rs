//! The agents API (seed 004) under `/api/v1/agents`, JWT only: agents of an account, each with its
//! own key, starting balance and risk profile. An agent's key (`X-API-Key`) trades that agent's
//! isolated portfolio on the bot routes and its own runs on the benchmark routes, where the core
//! enforces its risk profile with the core's rejection codes.

pub mod wire;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::args;
use crate::db::Db;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vectrade_core::RiskProfile;
use vectrade_core::time::format_rfc3339;

use crate::auth::JwtAccount;
use crate::bot::wire::fixed;
use crate::extract::{NestedBody, NestedQuery};
use crate::identity::NewKey;
use crate::market::{Command, Owner};
use crate::problem::{ApiError, NestedError, Style};
use crate::runs::Reply;
use crate::{AppState, now_ms};
use wire::*;

const STYLE: Style = Style::Nested;

/// An agent as the server keeps it.
#[derive(Debug, Clone)]
pub struct Agent {
    /// UUID.
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// Display name.
    pub display_name: String,
    /// Cash its portfolio starts with (and returns to on reset).
    pub starting_balance: Decimal,
    /// LLM model identifier.
    pub llm_model: Option<String>,
    /// Framework label.
    pub framework: Option<String>,
    /// Strategy tags.
    pub strategy_tags: Vec<String>,
    /// Risk limits.
    pub risk: RiskProfileInfo,
    /// Avatar colour.
    pub color: Option<String>,
    /// False once archived: its key then trades nothing.
    pub active: bool,
    /// Creation (UTC ms).
    pub created_at: i64,
    /// Last change (UTC ms).
    pub updated_at: i64,
}

impl Agent {
    /// The core's risk profile of the agent.
    pub fn risk_profile(&self) -> RiskProfile {
        RiskProfile {
            max_position_size_pct: Some(Decimal::from(self.risk.max_position_size_pct)),
            daily_loss_limit_pct: Some(Decimal::from(self.risk.daily_loss_limit_pct)),
            max_open_orders: Some(self.risk.max_open_orders),
            ..RiskProfile::default()
        }
    }

    /// The agent's portfolio on the live market.
    pub fn owner(&self) -> Owner {
        Owner::Agent {
            account_id: self.account_id.clone(),
            agent_id: self.id.clone(),
            starting_cash: self.starting_balance,
            risk: self.risk_profile(),
        }
    }

    fn save(&self, conn: &Db) -> crate::db::DbResult<()> {
        conn.execute(
            "INSERT INTO agents (id, account_id, display_name, starting_balance, llm_model, framework, strategy_tags,
                                 risk_profile, color, status, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
             ON CONFLICT(id) DO UPDATE SET display_name = excluded.display_name, llm_model = excluded.llm_model,
                 framework = excluded.framework, strategy_tags = excluded.strategy_tags,
                 risk_profile = excluded.risk_profile, color = excluded.color, status = excluded.status,
                 updated_at = excluded.updated_at",
            args![
                self.id,
                self.account_id,
                self.display_name,
                self.starting_balance.to_string(),
                self.llm_model,
                self.framework,
                serde_json::to_string(&self.strategy_tags).expect("tags serialise"),
                serde_json::to_string(&self.risk).expect("risk serialises"),
                self.color,
                if self.active { "active" } else { "archived" },
                self.created_at,
                self.updated_at
            ],
        )
        .map(drop)
    }
}

/// Every agent, by id.
#[derive(Default)]
pub struct Agents {
    map: RwLock<HashMap<String, Agent>>,
    /// One change at a time per agent: each change reads the agent, then writes all of it.
    changing: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Agents {
    /// Loads every agent.
    pub fn load(conn: &Db) -> crate::db::DbResult<Agents> {
        let agents = Agents::default();
        agents
            .map
            .write()
            .expect("fresh lock")
            .extend(Agents::rows(conn, None)?.into_iter().map(|a| (a.id.clone(), a)));
        Ok(agents)
    }

    /// The agents of one account, or of all.
    pub fn rows(conn: &Db, account: Option<&str>) -> crate::db::DbResult<Vec<Agent>> {
        conn.query_map(
            "SELECT id, account_id, display_name, starting_balance, llm_model, framework, strategy_tags, risk_profile,
                    color, status, created_at, updated_at FROM agents WHERE CAST(?1 AS TEXT) IS NULL OR account_id = ?1",
            args![account],
            |r| {
                let balance: String = r.get(3)?;
                let tags: String = r.get(6)?;
                let risk: String = r.get(7)?;
                let status: String = r.get(9)?;
                Ok(Agent {
                    id: r.get(0)?,
                    account_id: r.get(1)?,
                    display_name: r.get(2)?,
                    starting_balance: balance.parse().unwrap_or_default(),
                    llm_model: r.get(4)?,
                    framework: r.get(5)?,
                    strategy_tags: serde_json::from_str(&tags).unwrap_or_default(),
                    risk: serde_json::from_str(&risk).unwrap_or_default(),
                    color: r.get(8)?,
                    active: status == "active",
                    created_at: r.get(10)?,
                    updated_at: r.get(11)?,
                })
            },
        )
    }

    /// Replaces what memory holds of one account's agents with `agents` (from the database).
    pub fn replace_account(&self, account_id: &str, agents: Vec<Agent>) {
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, a| a.account_id != account_id);
        map.extend(agents.into_iter().map(|a| (a.id.clone(), a)));
    }

    /// Waits for the agent's turn to change; the change holds the guard.
    async fn changing(&self, id: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = self.changing.lock().unwrap_or_else(|e| e.into_inner()).entry(id.to_string()).or_default().clone();
        lock.lock_owned().await
    }

    /// An agent by id.
    pub fn get(&self, id: &str) -> Option<Agent> {
        self.map.read().unwrap_or_else(|e| e.into_inner()).get(id).cloned()
    }

    fn put(&self, agent: Agent) {
        self.map.write().unwrap_or_else(|e| e.into_inner()).insert(agent.id.clone(), agent);
    }

    fn remove(&self, id: &str) {
        self.map.write().unwrap_or_else(|e| e.into_inner()).remove(id);
    }

    fn of_account(&self, account_id: &str) -> Vec<Agent> {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<Agent> = map.values().filter(|a| a.account_id == account_id).cloned().collect();
        out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
        out
    }
}

/// The agent routes.
pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(create_agent, list_agents))
        .routes(routes!(overview))
        .routes(routes!(get_agent, update_agent, delete_agent))
        .routes(routes!(clone_agent))
        .routes(routes!(reset_agent))
        .routes(routes!(archive_agent))
        .routes(routes!(get_key))
        .routes(routes!(regenerate_key))
        .routes(routes!(get_risk, put_risk))
        .routes(routes!(skill_md))
}

fn invalid(field: &str, detail: impl Into<String>) -> ApiError {
    ApiError::new(STYLE, StatusCode::UNPROCESSABLE_ENTITY, "validation_error", detail).with("field", field)
}

fn check_text(field: &str, v: &str, max: usize) -> Result<(), ApiError> {
    let n = v.trim().chars().count();
    if n == 0 || v.chars().count() > max {
        return Err(invalid(field, format!("{field} must be 1 to {max} characters")));
    }
    Ok(())
}

fn check_optional(field: &str, v: &Option<String>, max: usize) -> Result<(), ApiError> {
    v.as_deref().map_or(Ok(()), |v| check_text(field, v, max))
}

fn check_tags(tags: &[String]) -> Result<(), ApiError> {
    if tags.len() > 20 {
        return Err(invalid("strategy_tags", format!("at most 20 strategy_tags, got {}", tags.len())));
    }
    tags.iter().try_for_each(|t| check_text("strategy_tags", t, 50))
}

fn check_color(color: &Option<String>) -> Result<(), ApiError> {
    match color.as_deref() {
        Some(c) if !(c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|x| x.is_ascii_hexdigit())) => {
            Err(invalid("color", format!("color must be a hex colour like #3B82F6, got '{c}'")))
        }
        _ => Ok(()),
    }
}

fn check_risk(r: &RiskProfileInfo) -> Result<(), ApiError> {
    for (field, v, max) in [
        ("max_position_size_pct", r.max_position_size_pct, 100),
        ("daily_loss_limit_pct", r.daily_loss_limit_pct, 100),
        ("max_open_orders", r.max_open_orders, 200),
    ] {
        if !(1..=max).contains(&v) {
            return Err(invalid(field, format!("{field} must be 1 to {max}, got {v}")));
        }
    }
    Ok(())
}

fn starting_balance(text: Option<&str>) -> Result<Decimal, ApiError> {
    let text = text.unwrap_or("10000.00");
    let bad = || {
        invalid(
            "starting_balance",
            format!("starting_balance must be a positive decimal with at most 8 places, got '{text}'"),
        )
    };
    let d: Decimal = text.trim().parse().map_err(|_| bad())?;
    if d <= Decimal::ZERO || d > vectrade_core::limits::MAX_STARTING_CASH || d.normalize().scale() > 8 {
        return Err(bad());
    }
    Ok(d)
}

fn response(state: &AppState, a: &Agent) -> AgentResponse {
    AgentResponse {
        id: a.id.clone(),
        account_id: a.account_id.clone(),
        display_name: a.display_name.clone(),
        api_key_preview: state.directory.agent_key(&a.id).map(|k| k.preview).unwrap_or_default(),
        starting_balance: fixed(a.starting_balance, 8),
        llm_model: a.llm_model.clone(),
        framework: a.framework.clone(),
        strategy_tags: a.strategy_tags.clone(),
        risk_profile: a.risk,
        avatar_url: None,
        color: a.color.clone(),
        status: if a.active { "active" } else { "archived" }.into(),
        created_at: format_rfc3339(a.created_at),
        updated_at: format_rfc3339(a.updated_at),
    }
}

/// The caller's agent, or 404 (another account's agent is not found either).
fn owned(state: &AppState, account_id: &str, id: &str) -> Result<Agent, ApiError> {
    state
        .agents
        .get(id)
        .filter(|a| a.account_id == account_id)
        .ok_or_else(|| ApiError::not_found(STYLE, "agent_not_found", format!("no agent '{id}'")))
}

/// Commits an agent and a fresh key for it; answers the credentials.
async fn create_with_key(state: &Arc<AppState>, agent: Agent) -> Result<AgentCredentialsResponse, ApiError> {
    let key = Arc::new(NewKey::agent(&agent.account_id, &agent.id, &state.vault, agent.created_at));
    let out = AgentCredentialsResponse {
        agent_id: agent.id.clone(),
        api_key: key.key.clone(),
        display_name: agent.display_name.clone(),
        starting_balance: fixed(agent.starting_balance, 8),
    };
    let (row, a) = (key.clone(), agent.clone());
    state
        .commit(
            move |conn| {
                a.save(conn)?;
                row.insert(conn)
            },
            move |s| {
                s.directory.put_key(key.key_hash.clone(), key.record.clone());
                s.agents.put(agent);
            },
        )
        .await
        .map_err(|e| ApiError::store(STYLE, &e))?;
    Ok(out)
}

/// Commits a changed agent.
async fn save(state: &Arc<AppState>, agent: Agent) -> Result<Agent, ApiError> {
    let (row, known) = (agent.clone(), agent.clone());
    state
        .commit(move |conn| row.save(conn), move |s| s.agents.put(known))
        .await
        .map_err(|e| ApiError::store(STYLE, &e))?;
    Ok(agent)
}

/// Creates an agent; its key is in this answer only (or later from `GET /agents/{id}/api-key`).
#[utoipa::path(post, path = "/api/v1/agents", tag = "agents", request_body = CreateAgent, security(("bearer" = [])),
    responses((status = 201, body = AgentCredentialsResponse), (status = 401, body = NestedError), (status = 403, body = NestedError, description = "A bot key was used"),
        (status = 422, body = NestedError)))]
async fn create_agent(
    State(state): State<Arc<AppState>>,
    JwtAccount(account_id): JwtAccount,
    NestedBody(body): NestedBody<CreateAgent>,
) -> Result<Reply, ApiError> {
    check_text("display_name", &body.display_name, 100)?;
    check_optional("llm_model", &body.llm_model, 100)?;
    check_optional("framework", &body.framework, 100)?;
    let tags = body.strategy_tags.unwrap_or_default();
    check_tags(&tags)?;
    check_color(&body.color)?;
    let defaults = RiskProfileInfo::default();
    let o = body.risk_profile.unwrap_or_default();
    let risk = RiskProfileInfo {
        max_position_size_pct: o.max_position_size_pct.unwrap_or(defaults.max_position_size_pct),
        daily_loss_limit_pct: o.daily_loss_limit_pct.unwrap_or(defaults.daily_loss_limit_pct),
        max_open_orders: o.max_open_orders.unwrap_or(defaults.max_open_orders),
    };
    check_risk(&risk)?;
    let now = now_ms();
    let agent = Agent {
        id: uuid::Uuid::new_v4().to_string(),
        account_id,
        display_name: body.display_name.trim().to_string(),
        starting_balance: starting_balance(body.starting_balance.as_deref())?,
        llm_model: body.llm_model,
        framework: body.framework,
        strategy_tags: tags,
        risk,
        color: body.color,
        active: true,
        created_at: now,
        updated_at: now,
    };
    let out = create_with_key(&state, agent).await?;
    Ok(Reply::json(StatusCode::CREATED, &out))
}

fn list(state: &AppState, account_id: &str, include_archived: bool, limit: usize, offset: usize) -> AgentList {
    let all: Vec<Agent> =
        state.agents.of_account(account_id).into_iter().filter(|a| include_archived || a.active).collect();
    let total = all.len();
    let agents = all.iter().skip(offset).take(limit).map(|a| response(state, a)).collect();
    AgentList { agents, total }
}

/// The account's agents, oldest first.
#[utoipa::path(get, path = "/api/v1/agents", tag = "agents", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = AgentList), (status = 401, body = NestedError), (status = 403, body = NestedError, description = "A bot key was used"),
        (status = 422, body = NestedError)))]
async fn list_agents(
    State(state): State<Arc<AppState>>,
    JwtAccount(account_id): JwtAccount,
    NestedQuery(q): NestedQuery<ListQuery>,
) -> Result<Reply, ApiError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(invalid("limit", format!("limit must be 1 to 500, got {limit}")));
    }
    let out = list(&state, &account_id, q.include_archived.unwrap_or(false), limit, q.offset.unwrap_or(0));
    Ok(Reply::json(StatusCode::OK, &out))
}

/// Every active agent (the dashboard's view).
#[utoipa::path(get, path = "/api/v1/agents/overview", tag = "agents", security(("bearer" = [])),
    responses((status = 200, body = AgentList), (status = 401, body = NestedError), (status = 403, body = NestedError, description = "A bot key was used")))]
async fn overview(State(state): State<Arc<AppState>>, JwtAccount(account_id): JwtAccount) -> Reply {
    Reply::json(StatusCode::OK, &list(&state, &account_id, false, usize::MAX, 0))
}

/// One agent.
#[utoipa::path(get, path = "/api/v1/agents/{agent_id}", tag = "agents", params(("agent_id" = String, Path, description = "Agent id")),
    security(("bearer" = [])),
    responses((status = 200, body = AgentResponse), (status = 401, body = NestedError), (status = 403, body = NestedError, description = "A bot key was used"), (status = 404, body = NestedError)))]
async fn get_agent(
    State(state): State<Arc<AppState>>,
    JwtAccount(account_id): JwtAccount,
    Path(id): Path<String>,
) -> Result<Reply, ApiError> {
    let a = owned(&state, &account_id, &id)?;
    Ok(Reply::json(StatusCode::OK, &response(&state, &a)))
}

/// Changes the fields given.
#[utoipa::path(put, path = "/api/v1/agents/{agent_id}", tag = "agents", request_body = UpdateAgent,
    params(("agent_id" = String, Path, description = "Agent id")), security(("bearer" = [])),
    responses((status = 200, body = AgentResponse), (status = 401, body = NestedError), (status = 403, body = NestedError, description = "A bot key was used"), (status = 404, body = NestedError),
        (status = 422, body = NestedError)))]
async fn update_agent(
    State(state): State<Arc<AppState>>,
    JwtAccount(account_id): JwtAccount,
    Path(id): Path<String>,
    NestedBody(body): NestedBody<UpdateAgent>,
) -> Result<Reply, ApiError> {
    let _turn = state.agents.changing(&id).await;
    let mut a = owned(&state, &account_id, &id)?;
    if let Some(name) = body.display_name {
        check_text("display_name", &name, 100)?;
        a.display_name = name.trim().to_string();
    }
    if body.llm_model.is_some() {
        check_optional("llm_model", &body.llm_model, 100)?;
        a.llm_model = body.llm_model;
    }
    if body.framework.is_some() {
        check_optional("framework", &body.framework, 100)?;
        a.framework = body.framework;
    }
    if let Some(tags) = body.strategy_tags {
        check_tags(&tags)?;
        a.strategy_tags = tags;
    }
    if body.color.is_some() {
        check_color(&body.color)?;
        a.color = body.color;
    }
    a.updated_at = now_ms();
    let a = save(&state, a).await?;
    Ok(Reply::json(StatusCode::OK, &response(&state, &a)))
}

/// A new agent with the same configuration, a fresh balance and a new key.
#[utoipa::path(post, path = "/api/v1/agents/{agent_id}/clone", tag = "agents",
    params(("agent_id" = String, Path, description = "Agent id"), CloneQuery), security(("bearer" = [])),
    responses((status = 201, body = AgentCredentialsResponse), (status = 401, body = NestedError), (status = 403, body = NestedError, description = "A bot key was used"), (status = 404, body = NestedError),
        (status = 422, body = NestedError)))]
async fn clone_agent(
    State(state): State<Arc<AppState>>,
    JwtAccount(account_id): JwtAccount,
    Path(id): Path<String>,
    NestedQuery(q): NestedQuery<CloneQuery>,
) -> Result<Reply, ApiError> {
    let source = owned(&state, &account_id, &id)?;
    let name = q.new_name.unwrap_or_else(|| format!("{} (copy)", source.display_name));
    check_text("new_name", &name, 100)?;
    let now = now_ms();
    let clone = Agent {
        id: uuid::Uuid::new_v4().to_string(),
        display_name: name.trim().to_string(),
        active: true,
        created_at: now,
        updated_at: now,
        ..source
    };
    let out = create_with_key(&state, clone).await?;
    Ok(Reply::json(StatusCode::CREATED, &out))
}

/// Closes every position, cancels every order and restores the starting balance; history stays.
#[utoipa::path(post, path = "/api/v1/agents/{agent_id}/reset", tag = "agents",
    params(("agent_id" = String, Path, description = "Agent id")), security(("bearer" = [])),
    responses((status = 200, body = AgentResponse), (status = 401, body = NestedError), (status = 403, body = NestedError, description = "A bot key was used"), (status = 404, body = NestedError)))]
async fn reset_agent(
    State(state): State<Arc<AppState>>,
    JwtAccount(account_id): JwtAccount,
    Path(id): Path<String>,
) -> Result<Reply, ApiError> {
    let _turn = state.agents.changing(&id).await;
    let mut a = owned(&state, &account_id, &id)?;
    if let Some(p) = state.market.existing(&a.owner()) {
        state
            .market
            .execute(&state.store, &p, Command::Reset, |_, r| r.map(drop).map_err(|e| ApiError::engine(STYLE, &e)))
            .await?;
    }
    a.active = true;
    a.updated_at = now_ms();
    let a = save(&state, a).await?;
    Ok(Reply::json(StatusCode::OK, &response(&state, &a)))
}

/// Archives an agent: kept, but its key trades nothing from now on.
#[utoipa::path(post, path = "/api/v1/agents/{agent_id}/archive", tag = "agents",
    params(("agent_id" = String, Path, description = "Agent id")), security(("bearer" = [])),
    responses((status = 200, body = AgentResponse), (status = 401, body = NestedError), (status = 403, body = NestedError, description = "A bot key was used"), (status = 404, body = NestedError)))]
async fn archive_agent(
    State(state): State<Arc<AppState>>,
    JwtAccount(account_id): JwtAccount,
    Path(id): Path<String>,
) -> Result<Reply, ApiError> {
    let _turn = state.agents.changing(&id).await;
    let mut a = owned(&state, &account_id, &id)?;
    a.active = false;
    a.updated_at = now_ms();
    let a = save(&state, a).await?;
    Ok(Reply::json(StatusCode::OK, &response(&state, &a)))
}

/// Deletes an agent and everything it did: keys, portfolio, runs. Irreversible.
#[utoipa::path(delete, path = "/api/v1/agents/{agent_id}", tag = "agents",
    params(("agent_id" = String, Path, description = "Agent id")), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 401, body = NestedError), (status = 403, body = NestedError, description = "A bot key was used"), (status = 404, body = NestedError)))]
async fn delete_agent(
    State(state): State<Arc<AppState>>,
    JwtAccount(account_id): JwtAccount,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let _turn = state.agents.changing(&id).await;
    let a = owned(&state, &account_id, &id)?;
    let (agent_id, gone) = (a.id.clone(), a.clone());
    state
        .commit(
            move |conn| {
                let id = &agent_id;
                conn.execute(
                "DELETE FROM portfolio_commands WHERE portfolio_id IN (SELECT id FROM portfolios WHERE agent_id = ?1)",
                [id],
            )?;
                conn.execute("DELETE FROM portfolios WHERE agent_id = ?1", [id])?;
                conn.execute(
                    "DELETE FROM run_commands WHERE run_id IN (SELECT id FROM runs WHERE agent_id = ?1)",
                    [id],
                )?;
                conn.execute("DELETE FROM runs WHERE agent_id = ?1", [id])?;
                conn.execute("DELETE FROM api_keys WHERE agent_id = ?1", [id])?;
                conn.execute("DELETE FROM agents WHERE id = ?1", [id])?;
                Ok(())
            },
            move |s| {
                s.directory.forget_agent(&gone.id);
                s.market.forget(&gone.owner());
                s.runs.forget_agent(&gone.id);
                s.agents.remove(&gone.id);
            },
        )
        .await
        .map_err(|e| ApiError::store(STYLE, &e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The agent's current key, in full.
#[utoipa::path(get, path = "/api/v1/agents/{agent_id}/api-key", tag = "agents",
    params(("agent_id" = String, Path, description = "Agent id")), security(("bearer" = [])),
    responses((status = 200, body = AgentKeyResponse), (status = 401, body = NestedError), (status = 403, body = NestedError, description = "A bot key was used"), (status = 404, body = NestedError)))]
async fn get_key(
    State(state): State<Arc<AppState>>,
    JwtAccount(account_id): JwtAccount,
    Path(id): Path<String>,
) -> Result<Reply, ApiError> {
    let a = owned(&state, &account_id, &id)?;
    let key = current_key(&state, &a).await?;
    Ok(Reply::json(
        StatusCode::OK,
        &AgentKeyResponse { agent_id: a.id, api_key: key, message: "Current API key for this agent.".into() },
    ))
}

/// The agent's live key, opened from its sealed copy.
async fn current_key(state: &AppState, a: &Agent) -> Result<String, ApiError> {
    let record = state
        .directory
        .agent_key(&a.id)
        .ok_or_else(|| ApiError::not_found(STYLE, "key_not_found", "the agent has no live key: regenerate one"))?;
    let key_id = record.id.clone();
    let sealed: Option<String> = state
        .store
        .read_committed(move |conn| {
            conn.query_row("SELECT key_sealed FROM api_keys WHERE id = ?1", [&key_id], |r| r.get(0))
        })
        .await
        .map_err(|e| ApiError::store(STYLE, &e))?;
    sealed
        .and_then(|s| state.vault.open(&s))
        .ok_or_else(|| ApiError::internal(STYLE, "the agent's key cannot be opened with this server's secret"))
}

/// A new key for the agent; the old one is refused from now on.
#[utoipa::path(post, path = "/api/v1/agents/{agent_id}/regenerate-key", tag = "agents",
    params(("agent_id" = String, Path, description = "Agent id")), security(("bearer" = [])),
    responses((status = 200, body = AgentKeyResponse), (status = 401, body = NestedError), (status = 403, body = NestedError, description = "A bot key was used"), (status = 404, body = NestedError)))]
async fn regenerate_key(
    State(state): State<Arc<AppState>>,
    JwtAccount(account_id): JwtAccount,
    Path(id): Path<String>,
) -> Result<Reply, ApiError> {
    let _turn = state.agents.changing(&id).await;
    let a = owned(&state, &account_id, &id)?;
    let now = now_ms();
    let key = Arc::new(NewKey::agent(&a.account_id, &a.id, &state.vault, now));
    let api_key = key.key.clone();
    let (row, agent_id, fresh) = (key.clone(), a.id.clone(), key.clone());
    state
        .commit(
            move |conn| {
                conn.execute(
                    "UPDATE api_keys SET revoked_at = ?1, key_sealed = NULL WHERE agent_id = ?2 AND revoked_at IS NULL",
                    args![now, agent_id],
                )?;
                row.insert(conn)
            },
            // On the writer thread, in commit order: exactly the keys this write revoked.
            move |s| {
                s.directory.revoke_agent_keys(fresh.record.agent_id.as_deref().unwrap_or_default());
                s.directory.put_key(fresh.key_hash.clone(), fresh.record.clone());
            },
        )
        .await
        .map_err(|e| ApiError::store(STYLE, &e))?;
    Ok(Reply::json(
        StatusCode::OK,
        &AgentKeyResponse {
            agent_id: a.id,
            api_key,
            message: "New API key generated; the previous key no longer works.".into(),
        },
    ))
}

/// The agent's risk limits.
#[utoipa::path(get, path = "/api/v1/agents/{agent_id}/risk-profile", tag = "agents",
    params(("agent_id" = String, Path, description = "Agent id")), security(("bearer" = [])),
    responses((status = 200, body = RiskProfileInfo), (status = 401, body = NestedError), (status = 403, body = NestedError, description = "A bot key was used"), (status = 404, body = NestedError)))]
async fn get_risk(
    State(state): State<Arc<AppState>>,
    JwtAccount(account_id): JwtAccount,
    Path(id): Path<String>,
) -> Result<Reply, ApiError> {
    Ok(Reply::json(StatusCode::OK, &owned(&state, &account_id, &id)?.risk))
}

/// Replaces the agent's risk limits; they apply from its next order on the live market (a
/// benchmark run keeps the limits it started with).
#[utoipa::path(put, path = "/api/v1/agents/{agent_id}/risk-profile", tag = "agents", request_body = RiskProfileInfo,
    params(("agent_id" = String, Path, description = "Agent id")), security(("bearer" = [])),
    responses((status = 200, body = RiskProfileInfo), (status = 401, body = NestedError), (status = 403, body = NestedError, description = "A bot key was used"), (status = 404, body = NestedError),
        (status = 422, body = NestedError)))]
async fn put_risk(
    State(state): State<Arc<AppState>>,
    JwtAccount(account_id): JwtAccount,
    Path(id): Path<String>,
    NestedBody(risk): NestedBody<RiskProfileInfo>,
) -> Result<Reply, ApiError> {
    check_risk(&risk)?;
    let _turn = state.agents.changing(&id).await;
    let mut a = owned(&state, &account_id, &id)?;
    a.risk = risk;
    a.updated_at = now_ms();
    if let Some(p) = state.market.existing(&a.owner()) {
        let command = Command::SetRisk { risk: a.risk_profile() };
        state
            .market
            .execute(&state.store, &p, command, |_, r| r.map(drop).map_err(|e| ApiError::engine(STYLE, &e)))
            .await?;
    }
    let a = save(&state, a).await?;
    Ok(Reply::json(StatusCode::OK, &a.risk))
}

/// A skill file for the agent's context window, its key included.
#[utoipa::path(get, path = "/api/v1/agents/{agent_id}/skill.md", tag = "agents",
    params(("agent_id" = String, Path, description = "Agent id")), security(("bearer" = [])),
    responses((status = 200, description = "Markdown", content_type = "text/markdown"), (status = 401, body = NestedError), (status = 403, body = NestedError, description = "A bot key was used"),
        (status = 404, body = NestedError)))]
async fn skill_md(
    State(state): State<Arc<AppState>>,
    JwtAccount(account_id): JwtAccount,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let a = owned(&state, &account_id, &id)?;
    let key = current_key(&state, &a).await?;
    let r = &a.risk;
    let text = format!(
        "# Agent: {name}\n# Agent ID: {id}\n# API Key: {key}\n\n{guide}\n## Your limits\n\n\
         - Starting balance: {balance}\n- Largest position: {pos}% of equity\n- Daily loss limit: {loss}% of the starting balance\n\
         - Working orders at once: {orders}\n",
        name = a.display_name,
        id = a.id,
        guide = include_str!("skill.md").replace("{BASE}", &state.public_url).replace("{KEY}", &key),
        balance = fixed(a.starting_balance, 2),
        pos = r.max_position_size_pct,
        loss = r.daily_loss_limit_pct,
        orders = r.max_open_orders,
    );
    let mut response = (StatusCode::OK, text).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/markdown; charset=utf-8"));
    Ok(response)
}
