//! Co-purchase mining in the server over real HTTP against the simulated Shopify, on SQLite and
//! PostgreSQL: the order history imported through a bulk operation and published whole, an
//! interrupted import resumed, a failed one leaving the previous suggestions live, and
//! orders/create counted once as it comes.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use encore_app::catalog_sync::access::StaticAccess;
use encore_app::mining::MiningOptions;
use encore_mining::generate::{History, HistorySpec};
use encore_mining::{Day, Miner, MinerConfig, Order, OrderId, RankOptions};
use encore_server::Running;
use encore_shopify::admin::{AdminConfig, RetryPolicy};
use encore_shopify::host::ShopifyHost;
use encore_shopify::oauth::{AppCredentials, TokenClient};
use encore_shopify::{Secret, ShopDomain};
use serde_json::{json, Value};
use shopify_sim::bulk::BulkFaults;
use shopify_sim::{Sim, SimConfig, StoreSpec};

struct World {
    sim: Sim,
    server: Running,
    client: Client,
}

fn today() -> Day {
    Day((now() / 86_400) as u32)
}

/// `orders` generated orders over `products`, the last of them today.
fn history(seed: u64, orders: u64, products: u32) -> HistorySpec {
    HistorySpec {
        last_day: today(),
        ..HistorySpec::new(seed, orders, products)
    }
}

fn options() -> MiningOptions {
    MiningOptions {
        poll_every: Duration::from_millis(40),
        chunk_orders: 300,
        checkpoint_orders: 1_000,
        // Publications happen when a test asks for them.
        publish_every: Duration::from_secs(3600),
        ..MiningOptions::default()
    }
}

/// Encore on `db` with a simulated shop whose order history is `spec`, installed through
/// token exchange; mining reaches the simulator with the shop's token.
async fn world(db: &Db, spec: HistorySpec) -> World {
    let sim = Sim::start(SimConfig {
        client_id: API_KEY.into(),
        client_secret: SECRET.into(),
        bulk_duration: Duration::from_millis(150),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    sim.add_shop(SHOP, StoreSpec::default());
    sim.set_order_history(SHOP, spec);
    let server = start(db, ScriptedRunner::new()).await;
    let client = Client::new(&server);
    let (s, b) = client
        .admin_put(
            &format!("/api/shops/{SHOP}"),
            json!({"currencyCode": "USD"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let shop = ShopDomain::parse(SHOP).unwrap();
    let host = ShopifyHost::custom(&sim.host_template()).unwrap();
    let tokens = TokenClient::new(
        reqwest::Client::new(),
        host.clone(),
        AppCredentials {
            client_id: API_KEY.into(),
            client_secret: Secret::new(SECRET),
        },
        Duration::from_secs(5),
    );
    let token = tokens
        .exchange_session_token(&shop, &sim.session_token(SHOP, 1, now()))
        .await
        .unwrap()
        .access_token;
    let access = Arc::new(StaticAccess::new(
        reqwest::Client::new(),
        AdminConfig {
            host,
            timeout: Duration::from_secs(5),
            retry: RetryPolicy {
                max_attempts: 3,
                base_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(40),
            },
            ..AdminConfig::default()
        },
        token,
    ));
    server.state.mining.set_access(access.clone());
    server.state.sync.set_access(access);
    server.state.mining.set_options(options());
    World {
        sim,
        server,
        client,
    }
}

impl World {
    /// Starts an import through the admin route and polls the status until it ends.
    async fn import(&self) -> Value {
        let r = self
            .client
            .http
            .post(format!("{}/api/mining?shop={SHOP}", self.client.base))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 202);
        let queued = r.json::<Value>().await.unwrap()["latest"]["runId"].clone();
        assert!(queued.is_i64(), "the answer shows the queued import");
        self.wait_for(&queued).await
    }

    async fn wait_for(&self, id: &Value) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let status = self.status().await;
            let latest = &status["latest"];
            if &latest["runId"] == id
                && matches!(latest["state"].as_str(), Some("complete" | "failed"))
            {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the import did not end: {status}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn status(&self) -> Value {
        let (s, status) = self
            .client
            .admin_get(&format!("/api/mining/status?shop={SHOP}"))
            .await;
        assert_eq!(s, 200, "{status}");
        status
    }

    /// The co-purchases as the offer path loads them.
    async fn live_pairs(&self) -> BTreeSet<(String, String, i64)> {
        let store = &self.server.state.store;
        let facts = encore_app::facts_cache::load_uncached(store, SHOP)
            .await
            .unwrap();
        facts
            .co_purchases
            .values()
            .flatten()
            .map(|p| {
                (
                    p["productId"].as_str().unwrap().to_string(),
                    p["suggestedProductId"].as_str().unwrap().to_string(),
                    p["liftPermille"].as_i64().unwrap(),
                )
            })
            .collect()
    }

    async fn deliver(&self, topic: &str, id: &str, body: &Value) -> u16 {
        let url = format!("{}/webhooks/shopify", self.client.base);
        self.sim
            .deliver_webhook(&url, SHOP, topic, id, body.to_string().as_bytes())
            .await
            .unwrap()
            .as_u16()
    }

    async fn stop(self, db: Db) {
        self.server.stop().await;
        db.dispose().await;
    }
}

/// The suggestions of the same orders mined directly, as the published set should be.
fn expected(orders: impl IntoIterator<Item = Order>) -> BTreeSet<(String, String, i64)> {
    let mut miner = Miner::new(MinerConfig::for_shop(false), today());
    for order in orders {
        miner.add_order(&order);
    }
    let ranking = miner.rank(&RankOptions::for_window(miner.orders_in_window()));
    ranking
        .suggestions
        .iter()
        .map(|s| {
            (
                s.product_id.clone(),
                s.suggested_product_id.clone(),
                s.lift_permille,
            )
        })
        .collect()
}

#[tokio::test]
async fn an_imported_history_is_published_whole_and_found_the_planted_pairs() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let spec = history(1, 4_000, 200);
        let w = world(&db, spec.clone()).await;
        let status = w.import().await;
        let latest = &status["latest"];
        assert_eq!(latest["state"], "complete", "{status}");
        assert_eq!(latest["orders"], 4_000, "{status}");
        assert_eq!(latest["malformed"], 0);
        assert_eq!(latest["lateLines"], 0);
        let objects: u64 = History::new(spec.clone())
            .map(|o| 1 + o.products.len() as u64)
            .sum();
        assert_eq!(latest["expectedObjects"], objects);
        assert_eq!(latest["lines"], objects);
        let (y, m, d) = today().window_start(60).ymd();
        assert_eq!(latest["windowStart"], format!("{y:04}-{m:02}-{d:02}"));

        let want = expected(History::new(spec.clone()));
        assert!(!want.is_empty());
        let live = w.live_pairs().await;
        assert_eq!(
            live, want,
            "the published suggestions are the miner's ranking"
        );
        assert_eq!(status["live"]["suggestions"], want.len() as i64, "{status}");
        assert_eq!(status["live"]["ordersInWindow"], latest["counted"]);
        assert_eq!(status["live"]["runId"], latest["runId"]);
        let planted = History::new(spec.clone()).planted().to_vec();
        for p in &planted {
            assert!(
                live.iter()
                    .any(|(a, b, _)| a == &p.product_id && b == &p.complement_id),
                "planted pair {p:?} is suggested"
            );
        }

        // A second import publishes the same suggestions as a new version, and removes the old.
        let again = w.import().await;
        assert_eq!(
            again["live"]["version"],
            status["live"]["version"].as_i64().unwrap() + 1
        );
        assert_eq!(w.live_pairs().await, want);
        let rows: i64 = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM co_purchases")
            .fetch_one(&pool(&db).await)
            .await
            .unwrap();
        assert_eq!(
            rows,
            want.len() as i64,
            "the old version's rows are deleted"
        );
        w.stop(db).await;
    }
}

async fn pool(db: &Db) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::AnyPool::connect(&db.url()).await.unwrap()
}

#[tokio::test]
async fn pairs_loaded_by_hand_stay_beside_the_mined_ones_and_win_a_tie() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let spec = history(2, 3_000, 200);
    let w = world(&db, spec.clone()).await;
    let want = expected(History::new(spec.clone()));
    let (a, b, _) = want.iter().next().unwrap().clone();
    let (s, body) = w
        .client
        .admin_put(
            &format!("/api/co-purchases?shop={SHOP}"),
            json!({"pairs": [
                {"productId": a, "suggestedProductId": b, "liftPermille": 99_999},
                {"productId": "1", "suggestedProductId": "2", "liftPermille": 5000},
            ]}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(w.import().await["latest"]["state"], "complete");
    let live = w.live_pairs().await;
    assert!(
        live.contains(&(a.clone(), b.clone(), 99_999)),
        "the hand-loaded pair wins"
    );
    assert!(live.contains(&("1".into(), "2".into(), 5000)));
    assert_eq!(live.len(), want.len() + 1);
    w.stop(db).await;
}

#[tokio::test]
async fn an_interrupted_import_resumes_its_bulk_result_and_ends_like_an_uninterrupted_one() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let spec = history(3, 20_000, 300);
        let w = world(&db, spec.clone()).await;
        w.server.state.mining.set_options(MiningOptions {
            stale_after: Duration::ZERO,
            ..options()
        });
        let state = w.server.state.clone();
        let shop = ShopDomain::parse(SHOP).unwrap();
        let first = encore_app::mining::import::enqueue(&state.store, &shop)
            .await
            .unwrap();
        let task = tokio::spawn(async move {
            let _ = encore_app::mining::import::run_queued(
                &state.store,
                &state.mining,
                &state.sync,
                &shop,
                first,
                &|_| {},
            )
            .await;
        });
        // The process "dies" once the import checkpointed part of the result.
        let deadline = Instant::now() + Duration::from_secs(60);
        let interrupted = loop {
            let status = w.status().await;
            if status["latest"]["orders"].as_i64().unwrap_or(0) >= 8_000 {
                break status;
            }
            assert!(Instant::now() < deadline, "{status}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        task.abort();
        let _ = task.await;
        assert_eq!(interrupted["latest"]["state"], "running");
        assert!(
            w.live_pairs().await.is_empty(),
            "nothing is published midway"
        );
        let operation = interrupted["latest"]["bulkOperationId"].clone();
        // Stale means a second without a heartbeat (timestamps are in seconds).
        tokio::time::sleep(Duration::from_millis(1_100)).await;

        let checkpointed: i64 = sqlx::query_scalar::<_, i64>(
            "SELECT position FROM mining_checkpoints WHERE run_id = $1",
        )
        .bind(first)
        .fetch_one(&pool(&db).await)
        .await
        .unwrap();
        assert!(checkpointed >= 1_000, "the first import checkpointed");
        let parts: i64 = sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM mining_checkpoint_parts WHERE run_id = $1",
        )
        .bind(first)
        .fetch_one(&pool(&db).await)
        .await
        .unwrap();
        assert!(parts >= 2, "the checkpoint is read back from {parts} parts");

        let state = &w.server.state;
        let shop = ShopDomain::parse(SHOP).unwrap();
        let second = encore_app::mining::import::enqueue(&state.store, &shop)
            .await
            .unwrap();
        let first_position = std::sync::Mutex::new(None);
        let observe = |p: &encore_app::mining::import::ImportProgress| {
            let mut seen = first_position.lock().unwrap();
            if seen.is_none() && p.counts.position > 0 {
                *seen = Some(p.counts.position);
            }
        };
        let report = encore_app::mining::import::run_queued(
            &state.store,
            &state.mining,
            &state.sync,
            &shop,
            second,
            &observe,
        )
        .await
        .unwrap();
        assert_eq!(report.resumed_from, Some(first));
        assert_eq!(
            *first_position.lock().unwrap(),
            Some(checkpointed as u64 + 300),
            "counting went on from the checkpoint, a chunk at a time"
        );
        let status = w.status().await;
        let latest = &status["latest"];
        assert_eq!(latest["state"], "complete", "{status}");
        assert_eq!(latest["resumedFrom"], first);
        assert_eq!(
            latest["bulkOperationId"], operation,
            "no second bulk operation"
        );
        assert_eq!(latest["orders"], 20_000);
        assert_eq!(
            latest["duplicates"].as_i64().unwrap(),
            0,
            "the orders before the checkpoint were read past, not counted again: {status}"
        );
        assert_eq!(w.live_pairs().await, expected(History::new(spec.clone())));
        w.stop(db).await;
    }
}

#[tokio::test]
async fn a_failed_import_leaves_the_previous_suggestions_live() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let spec = history(4, 3_000, 200);
    let w = world(&db, spec.clone()).await;
    assert_eq!(w.import().await["latest"]["state"], "complete");
    let before = w.live_pairs().await;
    assert!(!before.is_empty());
    w.sim.fault_next_bulk(
        SHOP,
        BulkFaults {
            cut_after: Some(1_000),
            ..BulkFaults::default()
        },
    );
    let status = w.import().await;
    let latest = &status["latest"];
    assert_eq!(latest["state"], "failed", "{status}");
    let error = latest["error"].as_str().unwrap();
    assert!(error.contains("reading the bulk result failed"), "{error}");
    assert_eq!(w.live_pairs().await, before);
    assert_eq!(status["live"]["runId"], 1);
    w.stop(db).await;
}

/// An orders/create payload (Shopify's example) for an order of `products` placed today.
fn order_created(id: u64, products: &[&str]) -> Value {
    let spec = HistorySpec {
        first_order_id: id,
        ..history(9, 1, 10)
    };
    let order = Order {
        id: OrderId(id),
        day: today(),
        products: products.iter().map(|p| p.to_string()).collect(),
    };
    shopify_sim::orders::order_created(&spec, &order)
}

#[tokio::test]
async fn orders_create_is_counted_once_however_often_it_comes_and_is_published() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let spec = history(5, 2_000, 100);
        let w = world(&db, spec.clone()).await;
        assert_eq!(w.import().await["latest"]["state"], "complete");
        // Twelve new orders buy two new products together; one comes twice under two delivery
        // ids and once more under the same id.
        for i in 0..12u64 {
            let body = order_created(7_000_000_000_000 + i, &["9100000000001", "9100000000002"]);
            assert_eq!(
                w.deliver("orders/create", &format!("oc-{i}"), &body).await,
                200
            );
        }
        let again = order_created(7_000_000_000_000, &["9100000000001", "9100000000002"]);
        assert_eq!(w.deliver("orders/create", "oc-0", &again).await, 200);
        assert_eq!(w.deliver("orders/create", "oc-0-bis", &again).await, 200);
        let mut broken = again.clone();
        broken["created_at"] = json!("last tuesday");
        assert_eq!(w.deliver("orders/create", "oc-broken", &broken).await, 400);
        assert_eq!(w.status().await["inboxOrders"], 12);

        let state = &w.server.state;
        let publication =
            encore_app::mining::incremental::refresh(&state.store, &state.mining, SHOP)
                .await
                .unwrap();
        assert_eq!(publication.orders_in_window, 2_000 + 12);
        let support: i64 = sqlx::query_scalar::<_, i64>(
            "SELECT support FROM co_purchases WHERE product_id = '9100000000001' \
             AND suggested_product_id = '9100000000002' AND version = $1",
        )
        .bind(publication.version)
        .fetch_one(&pool(&db).await)
        .await
        .unwrap();
        assert_eq!(support, 12, "each order counted once");
        let live = w.live_pairs().await;
        assert!(live
            .iter()
            .any(|(a, b, _)| a == "9100000000001" && b == "9100000000002"));

        // The next import reads those orders from Shopify; orders/create since stays counted.
        let late = order_created(7_000_000_000_100, &["9100000000001", "9100000000002"]);
        assert_eq!(w.deliver("orders/create", "oc-late", &late).await, 200);
        let status = w.import().await;
        assert_eq!(status["live"]["ordersInWindow"], 2_000 + 13, "{status}");
        w.stop(db).await;
    }
}

/// Starts an import of the shop in the background, as `POST /api/mining` does; returns its id.
async fn import_in_background(w: &World) -> (i64, tokio::task::JoinHandle<()>) {
    let state = w.server.state.clone();
    let shop = ShopDomain::parse(SHOP).unwrap();
    let run_id = encore_app::mining::import::enqueue(&state.store, &shop)
        .await
        .unwrap();
    let task = tokio::spawn(async move {
        let _ = encore_app::mining::import::run_queued(
            &state.store,
            &state.mining,
            &state.sync,
            &shop,
            run_id,
            &|_| {},
        )
        .await;
    });
    (run_id, task)
}

impl World {
    /// Waits until the latest import has read `orders` orders of its result.
    async fn until_read(&self, orders: i64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let status = self.status().await;
            if status["latest"]["orders"].as_i64().unwrap_or(0) >= orders {
                return status;
            }
            assert!(Instant::now() < deadline, "{status}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

#[tokio::test]
async fn an_import_a_restart_interrupted_resumes_by_itself_and_co_purchases_are_refreshed_on_schedule(
) {
    use encore_app::mining::schedule;
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let spec = history(4, 20_000, 300);
        let w = world(&db, spec.clone()).await;
        w.server.state.mining.set_options(MiningOptions {
            stale_after: Duration::ZERO,
            ..options()
        });
        let state = w.server.state.clone();
        // Nothing is unfinished and nothing was imported: the start finds nothing to do.
        assert!(schedule::resume_unfinished(&state.app, now())
            .await
            .unwrap()
            .is_empty());
        let far = now() + 30 * 86_400;
        assert!(
            schedule::refresh_due(&state.app, Duration::from_secs(3600), far)
                .await
                .unwrap()
                .is_empty()
        );

        // The process dies midway through an import.
        let (first, task) = import_in_background(&w).await;
        w.until_read(8_000).await;
        task.abort();
        let _ = task.await;
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        assert_eq!(w.status().await["latest"]["state"], "running");

        // What the server runs when it starts again resumes it without anyone asking.
        assert_eq!(
            schedule::resume_unfinished(&state.app, now())
                .await
                .unwrap(),
            [SHOP.to_string()]
        );
        let status = w.wait_for(&json!(first + 1)).await;
        let latest = &status["latest"];
        assert_eq!(latest["state"], "complete", "{status}");
        assert_eq!(latest["resumedFrom"], first);
        assert_eq!(w.live_pairs().await, expected(History::new(spec.clone())));

        // Just imported: not due. A day on (ENCORE_MINING_REFRESH_HOURS=24), imported afresh.
        let day = Duration::from_secs(24 * 3600);
        assert!(schedule::refresh_due(&state.app, day, now())
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            schedule::refresh_due(&state.app, day, now() + 86_400 + 1)
                .await
                .unwrap(),
            [SHOP.to_string()]
        );
        let status = w.wait_for(&json!(first + 2)).await;
        assert_eq!(status["latest"]["state"], "complete", "{status}");
        assert_eq!(status["latest"]["resumedFrom"], Value::Null);
        w.stop(db).await;
    }
}

#[tokio::test]
async fn app_uninstalled_stops_the_shop_s_mining_and_nothing_restarts_it_until_reinstall() {
    use encore_app::mining::schedule;
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let spec = history(6, 20_000, 300);
        let w = world(&db, spec.clone()).await;
        let state = w.server.state.clone();
        assert_eq!(w.import().await["latest"]["state"], "complete");
        let published = w.live_pairs().await;

        // Uninstalled while the next import counts its result: it stops, publishing nothing.
        let (second, _task) = import_in_background(&w).await;
        w.until_read(1_000).await;
        let uninstalled = shopify_sim::payloads::example("app/uninstalled").unwrap();
        assert_eq!(
            w.deliver("app/uninstalled", "un-1", &uninstalled).await,
            200
        );
        let status = w.wait_for(&json!(second)).await;
        let latest = &status["latest"];
        assert_eq!(latest["state"], "failed", "{status}");
        assert!(
            latest["error"].as_str().unwrap().contains("uninstalled"),
            "{status}"
        );
        assert!(latest["orders"].as_i64().unwrap() < 20_000, "{status}");
        assert_eq!(w.live_pairs().await, published);

        // Nothing starts it again: not the schedule, not the route, not orders/create.
        let far = now() + 30 * 86_400;
        assert!(
            schedule::refresh_due(&state.app, Duration::from_secs(3600), far)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(schedule::resume_unfinished(&state.app, now())
            .await
            .unwrap()
            .is_empty());
        let r = w
            .client
            .http
            .post(format!("{}/api/mining?shop={SHOP}", w.client.base))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400);
        let shop = ShopDomain::parse(SHOP).unwrap();
        assert!(matches!(
            encore_app::catalog_sync::run::enqueue(&state.store, &shop).await,
            Err(encore_app::catalog_sync::run::SyncError::Uninstalled(_))
        ));
        let body = order_created(7_100_000_000_000, &["9100000000001", "9100000000002"]);
        assert_eq!(w.deliver("orders/create", "oc-after", &body).await, 200);
        assert_eq!(w.status().await["inboxOrders"], 0);
        let refreshed =
            encore_app::mining::incremental::refresh(&state.store, &state.mining, SHOP).await;
        assert!(refreshed.is_err(), "an uninstalled shop is not published");
        assert_eq!(w.status().await["latest"]["runId"], second);

        // Installed again (what storing a reinstall's tokens does to the shop row,
        // `credentials::rows`): the schedule takes it up.
        sqlx::query("UPDATE shops SET uninstalled_at = NULL WHERE domain = $1")
            .bind(SHOP)
            .execute(&pool(&db).await)
            .await
            .unwrap();
        assert_eq!(
            schedule::refresh_due(&state.app, Duration::from_secs(3600), far)
                .await
                .unwrap(),
            [SHOP.to_string()]
        );
        let status = w.wait_for(&json!(second + 1)).await;
        assert_eq!(status["latest"]["state"], "complete", "{status}");
        w.stop(db).await;
    }
}
