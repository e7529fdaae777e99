//! `GET /api/catalog/search?shop=&kind=products|variants|collections|tags|types|vendors&q=`
//! (the shop's session or the admin token): the editor's pickers, answered by
//! `encore_app::catalog_search`.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use crate::error::ApiError;
use crate::session::AdminShop;
use crate::state::AppState;
use encore_app::catalog_search::{self, Answer, Kind};

#[derive(Deserialize)]
struct SearchQuery {
    kind: Kind,
    #[serde(default)]
    q: String,
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/api/catalog/search", get(search))
}

async fn search(
    State(state): State<Arc<AppState>>,
    AdminShop { shop, .. }: AdminShop,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Answer>, ApiError> {
    Ok(Json(
        catalog_search::search(&state, &shop, q.kind, q.q).await?,
    ))
}
