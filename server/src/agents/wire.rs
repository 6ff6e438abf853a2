//! The agents API's bodies (seed 004): agents with their own balance, risk profile and key.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The risk limits of an agent, as the agents API names them. Unset fields default to
/// 25 % / 20 % / 50 orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskProfileInfo {
    /// Largest position in one symbol as % of equity (1–100).
    pub max_position_size_pct: u32,
    /// Loss in a day, as % of the starting balance, that blocks new risk (1–100).
    pub daily_loss_limit_pct: u32,
    /// Most working orders at once (1–200).
    pub max_open_orders: u32,
}

impl Default for RiskProfileInfo {
    fn default() -> Self {
        RiskProfileInfo { max_position_size_pct: 25, daily_loss_limit_pct: 20, max_open_orders: 50 }
    }
}

/// Risk limits to override at creation; the others keep their defaults.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskOverride {
    /// 1–100.
    pub max_position_size_pct: Option<u32>,
    /// 1–100.
    pub daily_loss_limit_pct: Option<u32>,
    /// 1–200.
    pub max_open_orders: Option<u32>,
}

/// `POST /api/v1/agents`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgent {
    /// 1–100 characters.
    pub display_name: String,
    /// Starting balance, a decimal string (default "10000.00").
    #[serde(default)]
    pub starting_balance: Option<String>,
    /// LLM model identifier (at most 100 characters).
    #[serde(default)]
    pub llm_model: Option<String>,
    /// Agent framework (at most 100 characters).
    #[serde(default)]
    pub framework: Option<String>,
    /// Strategy tags (at most 20, each 1–50 characters).
    #[serde(default)]
    pub strategy_tags: Option<Vec<String>>,
    /// Risk limits to override.
    #[serde(default)]
    pub risk_profile: Option<RiskOverride>,
    /// Avatar colour, `#RRGGBB`.
    #[serde(default)]
    pub color: Option<String>,
}

/// `PUT /api/v1/agents/{id}`: only the fields given change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAgent {
    /// New display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// New LLM model identifier.
    #[serde(default)]
    pub llm_model: Option<String>,
    /// New framework label.
    #[serde(default)]
    pub framework: Option<String>,
    /// Replaces the strategy tags.
    #[serde(default)]
    pub strategy_tags: Option<Vec<String>>,
    /// New avatar colour.
    #[serde(default)]
    pub color: Option<String>,
}

/// An agent.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentResponse {
    /// Agent id.
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// Display name.
    pub display_name: String,
    /// The first 12 characters of the agent's key.
    pub api_key_preview: String,
    /// Starting balance, 8 decimals.
    pub starting_balance: String,
    /// LLM model identifier.
    pub llm_model: Option<String>,
    /// Framework label.
    pub framework: Option<String>,
    /// Strategy tags.
    pub strategy_tags: Vec<String>,
    /// Risk limits.
    pub risk_profile: RiskProfileInfo,
    /// Avatar URL (none locally).
    pub avatar_url: Option<String>,
    /// Avatar colour.
    pub color: Option<String>,
    /// `active` or `archived`.
    pub status: String,
    /// Creation (RFC 3339 UTC).
    pub created_at: String,
    /// Last change (RFC 3339 UTC).
    pub updated_at: String,
}

/// `GET /api/v1/agents`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentList {
    /// One page of agents, oldest first.
    pub agents: Vec<AgentResponse>,
    /// Agents matching the filter, all pages.
    pub total: usize,
}

/// A new agent's credentials (the key is shown here once).
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentCredentialsResponse {
    /// Agent id.
    pub agent_id: String,
    /// The agent's key: `X-API-Key` on the bot and benchmark routes.
    pub api_key: String,
    /// Display name.
    pub display_name: String,
    /// Starting balance, 8 decimals.
    pub starting_balance: String,
}

/// An agent's key.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentKeyResponse {
    /// Agent id.
    pub agent_id: String,
    /// The key.
    pub api_key: String,
    /// What it is.
    pub message: String,
}

/// `GET /api/v1/agents` filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Include archived agents (default false).
    pub include_archived: Option<bool>,
    /// Page size, 1–500 (default 100).
    pub limit: Option<usize>,
    /// Agents to skip (default 0).
    pub offset: Option<usize>,
}

/// `POST /api/v1/agents/{id}/clone`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CloneQuery {
    /// Name of the clone (default "{name} (copy)").
    pub new_name: Option<String>,
}
