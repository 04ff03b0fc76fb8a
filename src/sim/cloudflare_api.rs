//! The Cloudflare v4 API subset (`/client/v4`): token verify, monitors,
//! pools, pool health, previews and zone load balancers, in the shapes and
//! with the errors of docs/cloudflare-api.md.
//!
//! Injected faults (latency, 5xx, 429 bursts) are layered on top of this
//! router by the server; this module only answers like Cloudflare would.

mod envelope;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{MethodRouter, get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use self::envelope::{Fail, Token, list, ok, ok_with};
use super::cloudflare::{Kind, PreviewScope, parse_monitor, run_preview, wire};
use super::world::World;

/// The API's base path.
pub const BASE_PATH: &str = "/client/v4";

type Api = Result<Response, Fail>;
type W = State<Arc<World>>;

/// `page`, `per_page` and the pools' `monitor` filter.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    page: Option<String>,
    per_page: Option<String>,
    monitor: Option<String>,
}

/// The router for the Cloudflare listener.
pub fn router(world: Arc<World>) -> Router {
    let acct = format!("{BASE_PATH}/accounts/{{account_id}}/load_balancers");
    let zone = format!("{BASE_PATH}/zones/{{zone_id}}/load_balancers");
    Router::new()
        .route(
            &format!("{BASE_PATH}/user/tokens/verify"),
            only(get(verify_user)),
        )
        .route(
            &format!("{BASE_PATH}/accounts/{{account_id}}/tokens/verify"),
            only(get(verify_account)),
        )
        .route(&format!("{acct}/monitors"), collection(Kind::Monitor))
        .route(&format!("{acct}/monitors/{{id}}"), item(Kind::Monitor))
        .route(
            &format!("{acct}/monitors/{{id}}/preview"),
            only(post(|w: W, p: Path<(String, String)>, u: Uri, b: Bytes| {
                preview(w, p, u, b, Kind::Monitor)
            })),
        )
        .route(&format!("{acct}/pools"), collection(Kind::Pool))
        .route(&format!("{acct}/pools/{{id}}"), item(Kind::Pool))
        .route(&format!("{acct}/pools/{{id}}/health"), only(get(health)))
        .route(
            &format!("{acct}/pools/{{id}}/preview"),
            only(post(|w: W, p: Path<(String, String)>, u: Uri, b: Bytes| {
                preview(w, p, u, b, Kind::Pool)
            })),
        )
        .route(&format!("{acct}/preview/{{id}}"), only(get(preview_result)))
        .route(&zone, collection(Kind::LoadBalancer))
        .route(&format!("{zone}/{{id}}"), item(Kind::LoadBalancer))
        .fallback(|uri: Uri| async move { Fail::no_route(uri.path()) })
        .layer(axum::middleware::from_fn_with_state(
            world.clone(),
            envelope::guard,
        ))
        .with_state(world)
}

/// A method router that answers other methods with a 405 envelope.
fn only(m: MethodRouter<Arc<World>>) -> MethodRouter<Arc<World>> {
    m.fallback(|method: Method| async move {
        Fail::new(
            StatusCode::METHOD_NOT_ALLOWED,
            10405,
            format!("Method {method} not allowed for this route"),
        )
    })
}

/// `GET` (list) and `POST` (create) on a collection.
fn collection(kind: Kind) -> MethodRouter<Arc<World>> {
    only(
        get(
            move |w: W, p: Path<String>, u: Uri, q: Query<ListQuery>| async move {
                let (State(world), Path(scope), Query(q)) = (w, p, q);
                in_scope(&world, kind, &scope, &u)?;
                let items = world.cloudflare.list(kind, q.monitor.as_deref());
                list(items, q.page.as_deref(), q.per_page.as_deref())
            },
        )
        .post(move |w: W, p: Path<String>, u: Uri, b: Bytes| async move {
            let (State(world), Path(scope)) = (w, p);
            in_scope(&world, kind, &scope, &u)?;
            Api::Ok(ok(world.cloudflare.create(kind, body(&b)?)?))
        }),
    )
}

/// `GET`, `PUT`, `PATCH` and `DELETE` on one object.
fn item(kind: Kind) -> MethodRouter<Arc<World>> {
    let write = move |replace: bool| {
        move |w: W, p: Path<(String, String)>, u: Uri, b: Bytes| async move {
            let (State(world), Path((scope, id))) = (w, p);
            in_scope(&world, kind, &scope, &u)?;
            object_id(&id, &u)?;
            Api::Ok(ok(world.cloudflare.update(
                kind,
                &id,
                body(&b)?,
                replace,
            )?))
        }
    };
    only(
        get(move |w: W, p: Path<(String, String)>, u: Uri| async move {
            let (State(world), Path((scope, id))) = (w, p);
            in_scope(&world, kind, &scope, &u)?;
            object_id(&id, &u)?;
            Api::Ok(ok(world.cloudflare.get(kind, &id)?))
        })
        .put(write(true))
        .patch(write(false))
        .delete(move |w: W, p: Path<(String, String)>, u: Uri| async move {
            // SDKs send no body on DELETE, the spec declares an empty one:
            // either is fine, so the body is not read.
            let (State(world), Path((scope, id))) = (w, p);
            in_scope(&world, kind, &scope, &u)?;
            object_id(&id, &u)?;
            Api::Ok(ok(world.cloudflare.delete(kind, &id)?))
        }),
    )
}

/// Account paths must name the account, zone paths the zone; anything else
/// is routed nowhere, as Cloudflare answers for a wrong identifier.
fn in_scope(world: &World, kind: Kind, scope: &str, uri: &Uri) -> Result<(), Fail> {
    let cf = &world.cloudflare;
    let expected = match kind {
        Kind::LoadBalancer => cf.zone_id(),
        _ => cf.account_id(),
    };
    if wire::is_hex32(scope) && scope.eq_ignore_ascii_case(expected) {
        Ok(())
    } else {
        Err(Fail::no_route(uri.path()))
    }
}

/// Object ids are at most 32 alphanumerics; others cannot be routed.
fn object_id(id: &str, uri: &Uri) -> Result<(), Fail> {
    if !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(Fail::no_route(uri.path()))
    }
}

fn body(bytes: &Bytes) -> Result<Value, Fail> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Fail::invalid("the request body is empty"));
    }
    serde_json::from_slice(bytes).map_err(|e| Fail::invalid(format!("malformed JSON body ({e})")))
}

fn verified(token: &Token) -> Response {
    ok_with(
        json!({"id": wire::stable_id("token", &token.0), "status": "active"}),
        vec![json!({"code": 10000, "message": "This API Token is valid and active", "type": null})],
    )
}

async fn verify_user(Extension(token): Extension<Token>) -> Response {
    verified(&token)
}

async fn verify_account(
    State(world): W,
    Path(account): Path<String>,
    uri: Uri,
    Extension(token): Extension<Token>,
) -> Api {
    in_scope(&world, Kind::Pool, &account, &uri)?;
    Ok(verified(&token))
}

async fn health(State(world): W, Path((account, id)): Path<(String, String)>, uri: Uri) -> Api {
    in_scope(&world, Kind::Pool, &account, &uri)?;
    object_id(&id, &uri)?;
    Ok(ok(world.cloudflare.pool_health(&id)?))
}

async fn preview(
    State(world): W,
    Path((account, id)): Path<(String, String)>,
    uri: Uri,
    bytes: Bytes,
    kind: Kind,
) -> Api {
    in_scope(&world, Kind::Pool, &account, &uri)?;
    object_id(&id, &uri)?;
    let monitor = parse_monitor(body(&bytes)?)?;
    let scope = match kind {
        Kind::Monitor => PreviewScope::Monitor(&id),
        _ => PreviewScope::Pool(&id),
    };
    Ok(ok(run_preview(&world, scope, &monitor)?))
}

async fn preview_result(
    State(world): W,
    Path((account, id)): Path<(String, String)>,
    uri: Uri,
) -> Api {
    in_scope(&world, Kind::Pool, &account, &uri)?;
    object_id(&id, &uri)?;
    Ok(ok(world.cloudflare.preview_result(&id)?))
}
