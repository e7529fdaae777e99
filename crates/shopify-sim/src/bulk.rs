//! Bulk operations: one bulk query per shop at a time (OPERATION_IN_PROGRESS otherwise), a
//! status that completes after `bulk_duration`, and the JSONL result streamed row by row from
//! the generated store (or the generated order history, `orders`), in the flat `__parentId`
//! form of `groupObjects: false`.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::{json, Value};

use crate::admin::gid_number;
use crate::state::{BulkOp, BulkQuery, Shared, ShopState};
use crate::store::{decimal, Product, StoreSpec};

fn bulk_gid(id: u64) -> String {
    format!("gid://shopify/BulkOperation/{id}")
}

/// Complete once `bulk_duration` passed and its counts are known (they are computed on a
/// thread of their own, as Shopify runs the query away from the API's request path: walking a
/// million generated orders takes a second, which must not stall the loopback server).
fn completed(shared: &Shared, op: &BulkOp) -> bool {
    op.created.elapsed() >= shared.config.bulk_duration && op.object_count.get().is_some()
}

/// The first field inside the query's selection set.
fn root_field(query: &str) -> Option<&str> {
    let body = &query[query.find('{')? + 1..];
    body.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .find(|word| !word.is_empty())
}

pub(crate) fn run_query(shared: &Shared, state: &mut ShopState, variables: &Value) -> Value {
    let query = variables
        .get("query")
        .and_then(Value::as_str)
        .unwrap_or_default();
    // The selling plans query names products too (a group's): told apart by its root field.
    let kind = if root_field(query) == Some("sellingPlanGroups") {
        BulkQuery::SellingPlans
    } else if query.contains("orders") && query.contains("lineItems") {
        BulkQuery::Orders {
            history: state
                .order_history
                .clone()
                .unwrap_or_else(|| encore_mining::generate::HistorySpec::new(0, 0, 1)),
            since: crate::orders::since(query),
        }
    } else if query.contains("products") {
        BulkQuery::Catalog
    } else {
        return json!({"bulkOperationRunQuery": {"bulkOperation": null, "userErrors": [{
            "field": ["query"],
            "message": "The simulator runs only the catalog's products query, the selling plans query and the orders query",
            "code": "INVALID",
        }]}});
    };
    if let Some(running) = state.bulk_ops.iter().find(|op| !completed(shared, op)) {
        return json!({"bulkOperationRunQuery": {"bulkOperation": null, "userErrors": [{
            "field": null,
            "message": format!("A bulk query operation for this app and shop is already in progress: {}.", bulk_gid(running.id)),
            "code": "OPERATION_IN_PROGRESS",
        }]}});
    }
    let id = 5_000_000 + state.bulk_ops.len() as u64 + 1;
    let kind_for_count = kind.clone();
    let query_is_selling_plans = matches!(kind, BulkQuery::SellingPlans);
    state.bulk_ops.push(BulkOp {
        id,
        created: Instant::now(),
        query: kind,
        spec: state.spec.clone(),
        object_count: counted(kind_for_count, state.spec.clone()),
        // Faults are for the catalog's and the orders' result files (what the tests break).
        faults: match query_is_selling_plans {
            true => BulkFaults::default(),
            false => std::mem::take(&mut state.next_bulk_faults),
        },
    });
    json!({"bulkOperationRunQuery": {
        "bulkOperation": {"id": bulk_gid(id), "status": "CREATED"},
        "userErrors": [],
    }})
}

pub(crate) fn by_id(
    shared: &Shared,
    state: &ShopState,
    variables: &Value,
) -> Result<Value, String> {
    let id = gid_number(variables, "id", "BulkOperation")?;
    let Some(op) = state.bulk_ops.iter().find(|op| op.id == id) else {
        return Ok(json!({"bulkOperation": null}));
    };
    let done = completed(shared, op);
    let (objects, roots) = match op.object_count.get() {
        Some(counts) if done => *counts,
        _ => (0, 0),
    };
    Ok(json!({"bulkOperation": {
        "id": bulk_gid(op.id),
        "status": if done { "COMPLETED" } else { "RUNNING" },
        "errorCode": null,
        "objectCount": objects.to_string(),
        "rootObjectCount": roots.to_string(),
        "fileSize": null,
        "url": done.then(|| format!("{}/{}/bulk/{}.jsonl", shared.base_url, state.domain, op.id)),
        "partialDataUrl": null,
        "createdAt": "2026-11-30T10:00:00Z",
        "completedAt": done.then_some("2026-11-30T10:00:05Z"),
    }}))
}

/// (objectCount, rootObjectCount) of the operation, computed on a thread of its own.
fn counted(query: BulkQuery, spec: StoreSpec) -> Arc<OnceLock<(u64, u64)>> {
    let counts = Arc::new(OnceLock::new());
    let set = counts.clone();
    std::thread::spawn(move || {
        let _ = set.set(match &query {
            BulkQuery::Catalog => (object_count(&spec), spec.products),
            BulkQuery::Orders { history, since } => crate::orders::object_count(history, *since),
            // The two groups of `crate::selling_plans`.
            BulkQuery::SellingPlans => (crate::selling_plans::object_count(&spec), 2),
        });
    });
    counts
}

/// Every row of the result file, as Shopify's objectCount counts them.
fn object_count(spec: &StoreSpec) -> u64 {
    (0..spec.products)
        .map(|i| {
            let p = spec.product(i);
            (1 + p.variants.len() + p.collections.len() + p.selling_plan_groups.len()) as u64
        })
        .sum()
}

/// `GET /{shop}/bulk/{id}.jsonl`: the result file, generated as it streams.
pub(crate) async fn download(
    State(shared): State<Arc<Shared>>,
    Path((shop, file)): Path<(String, String)>,
) -> Response {
    let id: Option<u64> = file.strip_suffix(".jsonl").and_then(|n| n.parse().ok());
    let found = shared
        .with_shop(&shop, |state| {
            state
                .bulk_ops
                .iter()
                .find(|op| Some(op.id) == id && completed(&shared, op))
                .map(|op| (op.query.clone(), op.spec.clone(), op.faults.clone()))
        })
        .flatten();
    let Some((query, spec, faults)) = found else {
        return (StatusCode::NOT_FOUND, "no such result").into_response();
    };
    let detach = shared.config.detach_collections;
    let cut_after = faults.cut_after;
    let rows: Box<dyn Iterator<Item = Bytes> + Send> = match query {
        BulkQuery::Catalog => Box::new(JsonlChunks::new(spec, detach)),
        BulkQuery::Orders { history, since } => Box::new(crate::orders::chunks(history, since)),
        BulkQuery::SellingPlans => Box::new(crate::selling_plans::chunks(spec)),
    };
    let chunks = rows
        .enumerate()
        .take_while(move |(i, _)| cut_after.is_none_or(|n| (*i as u64) < n))
        .flat_map(move |(i, chunk)| {
            let mut out = vec![chunk];
            if faults.malformed_after == Some(i as u64 + 1) {
                out.push(Bytes::from_static(MALFORMED_LINE));
            }
            out
        })
        .map(Ok::<Bytes, std::io::Error>);
    let rest = futures_util::stream::iter(chunks);
    let body = match cut_after {
        None => Body::from_stream(rest),
        // The connection drops once what came before was sent.
        Some(_) => Body::from_stream(rest.chain(futures_util::stream::once(async {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            Err(std::io::Error::other("the simulator cut the download"))
        }))),
    };
    ([(header::CONTENT_TYPE, "application/jsonl")], body).into_response()
}

/// What goes wrong with a bulk operation's result file (`Sim::fault_next_bulk`).
#[derive(Debug, Clone, Default)]
pub struct BulkFaults {
    /// A line of broken JSON after this many products (orders, for an orders query).
    pub malformed_after: Option<u64>,
    /// The download breaks off after this many products or orders (the connection is dropped).
    pub cut_after: Option<u64>,
}

/// A line cut short, as a broken file would have it.
const MALFORMED_LINE: &[u8] = b"{\"id\":\"gid://shopify/ProductVariant/1\",\"__parentId\":\n";

/// The result file, one product (and its children) per chunk.
pub struct JsonlChunks {
    spec: StoreSpec,
    next: u64,
    detach: bool,
    held: Option<Product>,
}

impl JsonlChunks {
    /// With `detach`, each product's collection rows are written after the next product's row.
    pub fn new(spec: StoreSpec, detach: bool) -> Self {
        Self {
            spec,
            next: 0,
            detach,
            held: None,
        }
    }
}

impl Iterator for JsonlChunks {
    type Item = Bytes;

    fn next(&mut self) -> Option<Bytes> {
        let mut out = String::new();
        if self.next >= self.spec.products {
            let held = self.held.take()?;
            collections(&held, &mut out);
            return Some(Bytes::from(out));
        }
        let product = self.spec.product(self.next);
        self.next += 1;
        product_lines(&product, &self.spec.currency, &mut out);
        if self.detach {
            if let Some(previous) = self.held.replace(product) {
                collections(&previous, &mut out);
            }
        } else {
            collections(&product, &mut out);
        }
        Some(Bytes::from(out))
    }
}

fn push(out: &mut String, row: Value) {
    out.push_str(&row.to_string());
    out.push('\n');
}

fn product_gid(p: &Product) -> String {
    format!("gid://shopify/Product/{}", p.id)
}

fn product_lines(p: &Product, currency: &str, out: &mut String) {
    push(
        out,
        json!({
            "id": product_gid(p),
            "title": p.title,
            "handle": p.handle,
            "productType": p.product_type,
            "vendor": p.vendor,
            "tags": p.tags,
            "status": "ACTIVE",
            "updatedAt": p.updated_at,
            "requiresSellingPlan": p.requires_selling_plan,
            "featuredMedia": p.image_url.as_ref().map(|url| json!({
                "__typename": "MediaImage",
                "preview": {"image": {"url": url, "altText": p.title}},
            })),
        }),
    );
    for (id, name) in &p.selling_plan_groups {
        push(
            out,
            json!({
                "id": format!("gid://shopify/SellingPlanGroup/{id}"),
                "name": name,
                "__parentId": product_gid(p),
            }),
        );
    }
    for v in &p.variants {
        push(
            out,
            json!({
                "id": format!("gid://shopify/ProductVariant/{}", v.id),
                "title": v.title,
                "sku": v.sku,
                "price": decimal(v.price_minor, currency),
                "compareAtPrice": v.compare_at_minor.map(|m| decimal(m, currency)),
                "inventoryPolicy": if v.deny_when_out_of_stock { "DENY" } else { "CONTINUE" },
                "sellableOnlineQuantity": v.quantity.max(0),
                "inventoryQuantity": v.tracked.then_some(v.quantity),
                "availableForSale": !v.tracked || !v.deny_when_out_of_stock || v.quantity > 0,
                "updatedAt": p.updated_at,
                "inventoryItem": {
                    "id": format!("gid://shopify/InventoryItem/{}", v.inventory_item_id),
                    "tracked": v.tracked,
                    "requiresShipping": v.requires_shipping,
                    "unitCost": v.unit_cost_minor.map(|m| json!({"amount": decimal(m, currency), "currencyCode": currency})),
                },
                "__parentId": product_gid(p),
            }),
        );
    }
}

fn collections(p: &Product, out: &mut String) {
    for c in &p.collections {
        push(
            out,
            json!({
                "id": format!("gid://shopify/Collection/{}", c.id),
                "handle": c.handle,
                "title": c.title,
                "__parentId": product_gid(p),
            }),
        );
    }
}
