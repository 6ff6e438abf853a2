//! What the server says about itself: health, the OpenAPI document, a human docs page, the agent
//! guide (`agent-skills.md`), `llms.txt`, and the local billing page.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::runs::Reply;

/// The self-describing routes.
pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(health_v1))
        .routes(routes!(openapi_json))
        .routes(routes!(docs_page))
        .routes(routes!(agent_skills))
        .routes(routes!(llms_txt))
        .routes(routes!(billing_local))
}

/// `GET /api/health`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// Server version.
    pub version: String,
}

fn text(content_type: &'static str, body: String) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// Liveness (public).
#[utoipa::path(get, path = "/api/health", tag = "meta", responses((status = 200, body = Health)))]
async fn health() -> Reply {
    Reply::json(StatusCode::OK, &Health { status: "ok".into(), version: env!("CARGO_PKG_VERSION").into() })
}

/// Liveness, under `/api/v1` as well (public).
#[utoipa::path(get, path = "/api/v1/health", tag = "meta", responses((status = 200, body = Health)))]
async fn health_v1() -> Reply {
    health().await
}

/// This document (public).
#[utoipa::path(get, path = "/api/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
async fn openapi_json(State(state): State<Arc<AppState>>) -> Response {
    text("application/json", state.openapi_json.clone())
}

/// A page listing every route (public).
#[utoipa::path(get, path = "/api/docs", tag = "meta",
    responses((status = 200, description = "HTML", content_type = "text/html")))]
async fn docs_page(State(state): State<Arc<AppState>>) -> Response {
    text("text/html; charset=utf-8", render_docs(&state.openapi_json))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The docs page: every operation of the OpenAPI document with its summary and responses.
fn render_docs(openapi: &str) -> String {
    let doc: serde_json::Value = serde_json::from_str(openapi).unwrap_or_default();
    let mut out = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\">\
         <title>VecTrade local API</title><style>body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em}\
         code{background:#f3f3f3;padding:0 .3em}h2{margin-top:2em}.op{margin:.8em 0}.m{display:inline-block;width:4.5em;font-weight:bold}</style>\
         </head><body><h1>VecTrade local API</h1><p>The hosted API served by the local server, on the VecTrade engine. \
         Machine-readable: <a href=\"/api/openapi.json\">/api/openapi.json</a>. Agent guide: \
         <a href=\"/api/agent-skills.md\">/api/agent-skills.md</a>.</p>",
    );
    let mut by_tag: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    if let Some(paths) = doc.get("paths").and_then(|p| p.as_object()) {
        for (path, item) in paths {
            let Some(ops) = item.as_object() else { continue };
            for (method, op) in ops {
                let tag = op["tags"][0].as_str().unwrap_or("other").to_string();
                let summary = op["summary"].as_str().or(op["description"].as_str()).unwrap_or("");
                let codes: Vec<&str> =
                    op["responses"].as_object().map(|r| r.keys().map(String::as_str).collect()).unwrap_or_default();
                let mut line = String::new();
                let _ = write!(
                    line,
                    "<div class=\"op\"><span class=\"m\">{}</span><code>{}</code> — {} <small>({})</small></div>",
                    method.to_uppercase(),
                    escape(path),
                    escape(summary),
                    codes.join(", ")
                );
                by_tag.entry(tag).or_default().push(line);
            }
        }
    }
    for (tag, lines) in by_tag {
        let _ = write!(out, "<h2>{}</h2>{}", escape(&tag), lines.join(""));
    }
    out.push_str("</body></html>");
    out
}

/// The agent's guide to a run, for this server (public).
#[utoipa::path(get, path = "/api/agent-skills.md", tag = "meta",
    responses((status = 200, description = "Markdown", content_type = "text/markdown")))]
async fn agent_skills(State(state): State<Arc<AppState>>) -> Response {
    text("text/markdown; charset=utf-8", include_str!("agent-skills.md").replace("{BASE}", &state.public_url))
}

/// Where to start, for language models (public).
#[utoipa::path(get, path = "/api/llms.txt", tag = "meta",
    responses((status = 200, description = "Text", content_type = "text/plain")))]
async fn llms_txt(State(state): State<Arc<AppState>>) -> Response {
    text("text/plain; charset=utf-8", include_str!("llms.txt").replace("{BASE}", &state.public_url))
}

/// The local server's billing: how the operator sets a plan (public).
#[utoipa::path(get, path = "/api/v1/billing/local", tag = "billing",
    responses((status = 200, description = "Text", content_type = "text/plain")))]
async fn billing_local() -> Response {
    text(
        "text/plain; charset=utf-8",
        "The local VecTrade server takes no payments.\n\
         The operator sets an account's plan with:\n\n  \
         vectrade-server plan --db <file> <account-id> pro|free\n\n\
         Free: 25 benchmark runs per UTC month. Pro: 200, and a leaderboard handle.\n"
            .to_string(),
    )
}
