//! The campaigns' history over real HTTP on SQLite and PostgreSQL: saves that race keep both
//! changes (versions, merged campaign by campaign), a save that collides with another on the
//! same campaign is refused with nothing saved, and the audit trail names who changed which
//! campaign, when and what — the operator, or the staff member of an App Bridge session (against
//! the simulated Shopify).

mod common;

use common::*;
use serde_json::{json, Value};
use shopify_sim::{Sim, SimConfig, StoreSpec};

fn campaign(id: &str, priority: i64) -> Value {
    json!({
        "id": id,
        "status": "active",
        "priority": priority,
        "triggers": {"products": ["1"]},
        "steps": [{"id": "s1", "offer": {"products": ["111"], "discount": {"percent": 20}}}]
    })
}

fn config(campaigns: Vec<Value>) -> Value {
    json!({"version": 1, "campaigns": campaigns})
}

fn find<'a>(config: &'a Value, id: &str) -> &'a Value {
    config["campaigns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no campaign {id} in {config}"))
}

async fn live(c: &Client) -> Value {
    let (s, b) = c.admin_get(&format!("/api/campaigns?shop={SHOP}")).await;
    assert_eq!(s, 200, "{b}");
    b
}

async fn history(c: &Client, campaign: Option<&str>) -> Vec<Value> {
    let filter = campaign
        .map(|c| format!("&campaign={c}"))
        .unwrap_or_default();
    let (s, b) = c
        .admin_get(&format!("/api/campaigns/history?shop={SHOP}{filter}"))
        .await;
    assert_eq!(s, 200, "{b}");
    b["entries"].as_array().unwrap().clone()
}

fn save_path(base: i64) -> String {
    format!("/api/campaigns?shop={SHOP}&baseVersion={base}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_saves_edited_from_the_same_version_race_and_both_changes_stay_live() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let server = start(&db, ScriptedRunner::new()).await;
        let c = Client::new(&server);
        setup_shop(&c).await;
        let v1 = config(vec![campaign("a", 10), campaign("b", 20)]);
        let (s, b) = c
            .admin_put(&save_path(1).replace("&baseVersion=1", ""), v1.clone())
            .await;
        assert_eq!((s, &b["version"]), (200, &json!(1)), "{b}");

        // Two merchants opened version 1: one pauses a, the other moves b; both save at once.
        let mut paused = v1.clone();
        paused["campaigns"][0]["status"] = json!("paused");
        let mut moved = v1.clone();
        moved["campaigns"][1]["priority"] = json!(5);
        let (paused_path, moved_path) = (save_path(1), save_path(1));
        let (first, second) = tokio::join!(
            c.admin_put(&paused_path, paused),
            c.admin_put(&moved_path, moved)
        );
        assert_eq!(first.0, 200, "{}", first.1);
        assert_eq!(second.0, 200, "{}", second.1);
        let mut versions = [first.1["version"].as_i64(), second.1["version"].as_i64()];
        versions.sort();
        assert_eq!(versions, [Some(2), Some(3)], "each save is its own version");
        // The later one was edited from version 1 and merged onto version 2.
        let merged: Vec<&Value> = [&first.1, &second.1]
            .into_iter()
            .filter(|b| b["mergedOnto"] == 2)
            .collect();
        assert_eq!(merged.len(), 1, "{first:?} {second:?}");

        let now_live = live(&c).await;
        assert_eq!(now_live["version"], 3);
        assert_eq!(find(&now_live["config"], "a")["status"], "paused");
        assert_eq!(find(&now_live["config"], "b")["priority"], 5);
        for v in [2, 3] {
            let (s, _) = c
                .admin_get(&format!("/api/campaigns/versions/{v}?shop={SHOP}"))
                .await;
            assert_eq!(s, 200, "version {v} is kept");
        }

        // The history says which save changed what, and which one was merged.
        let entries = history(&c, None).await;
        let of = |version: i64| -> Vec<&Value> {
            entries.iter().filter(|e| e["version"] == version).collect()
        };
        assert_eq!(of(3).len(), 1, "{entries:?}");
        assert_eq!(of(3)[0]["baseVersion"], 1);
        assert_eq!(of(2)[0]["baseVersion"], Value::Null);
        let fields: Vec<&Value> = [of(2)[0], of(3)[0]]
            .iter()
            .map(|e| &e["fields"][0])
            .collect();
        assert!(fields.contains(&&json!("status")) && fields.contains(&&json!("priority")));
        server.stop().await;
        db.dispose().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_save_that_changed_the_campaign_another_save_changed_is_refused_and_saves_nothing()
{
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let server = start(&db, ScriptedRunner::new()).await;
        let c = Client::new(&server);
        setup_shop(&c).await;
        let v1 = config(vec![campaign("a", 10), campaign("b", 20)]);
        c.admin_put(&format!("/api/campaigns?shop={SHOP}"), v1.clone())
            .await;
        let mut first = v1.clone();
        first["campaigns"][0]["priority"] = json!(30);
        let (s, b) = c.admin_put(&save_path(1), first).await;
        assert_eq!((s, &b["mergedOnto"]), (200, &Value::Null), "{b}");

        let mut second = v1.clone();
        second["campaigns"][0]["priority"] = json!(40);
        second["campaigns"][1]["status"] = json!("paused");
        let (s, b) = c.admin_put(&save_path(1), second).await;
        assert_eq!(s, 409, "{b}");
        assert_eq!(b["error"], "config_conflict");
        assert_eq!(b["conflicts"], json!(["a"]));
        assert_eq!(b["liveVersion"], 2);
        let now_live = live(&c).await;
        assert_eq!(now_live["version"], 2, "nothing saved");
        assert_eq!(find(&now_live["config"], "a")["priority"], 30);
        assert_eq!(find(&now_live["config"], "b")["status"], "active");

        // A base the shop never had is refused too.
        let (s, b) = c.admin_put(&save_path(7), v1.clone()).await;
        assert_eq!((s, b["error"].as_str()), (400, Some("bad_request")), "{b}");
        server.stop().await;
        db.dispose().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_names_who_created_changed_and_removed_each_campaign() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let server = start(&db, ScriptedRunner::new()).await;
        let c = Client::new(&server);
        setup_shop(&c).await;
        let path = format!("/api/campaigns?shop={SHOP}");
        c.admin_put(&path, config(vec![campaign("a", 10)])).await;
        let mut paused = campaign("a", 10);
        paused["status"] = json!("paused");
        c.admin_put(&path, config(vec![paused.clone(), campaign("b", 5)]))
            .await;
        c.admin_put(&path, config(vec![campaign("b", 5)])).await;
        c.admin_put(&path, config(vec![campaign("b", 5)])).await;

        let entries = history(&c, None).await;
        let summary: Vec<(i64, Option<&str>, &str)> = entries
            .iter()
            .map(|e| {
                (
                    e["version"].as_i64().unwrap(),
                    e["campaignId"].as_str(),
                    e["change"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (4, None, "unchanged"),
                (3, Some("a"), "removed"),
                (2, Some("a"), "changed"),
                (2, Some("b"), "created"),
                (1, Some("a"), "created"),
            ]
        );
        assert_eq!(entries[2]["fields"], json!(["status"]));
        assert!(entries.iter().all(|e| e["actor"] == "operator"));
        assert!(entries[0]["createdAt"].as_str().unwrap().ends_with('Z'));
        // One campaign's history, with the shop-wide entries.
        let of_b = history(&c, Some("b")).await;
        assert_eq!(
            of_b.iter()
                .map(|e| e["version"].as_i64().unwrap())
                .collect::<Vec<_>>(),
            vec![4, 2]
        );
        server.stop().await;
        db.dispose().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_from_the_embedded_admin_names_the_session_tokens_staff_member() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let sim = Sim::start(SimConfig {
        client_id: API_KEY.into(),
        client_secret: SECRET.into(),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    sim.add_shop(
        SHOP,
        StoreSpec {
            currency: "USD".into(),
            ..StoreSpec::default()
        },
    );
    let mut settings = settings(&db);
    settings.shopify_host =
        encore_shopify::host::ShopifyHost::custom(&sim.host_template()).unwrap();
    settings.app.retention.every = None;
    let server = encore_server::start(settings, ScriptedRunner::new())
        .await
        .unwrap();
    let c = Client::new(&server);
    let session = sim.session_token(SHOP, 42, now());
    let response = c
        .http
        .put(format!("{}/api/campaigns", c.base))
        .bearer_auth(&session)
        .json(&config(vec![campaign("a", 10)]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let entries = history(&c, None).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["actor"], "staff");
    assert_eq!(entries[0]["staffMemberId"], "gid://shopify/StaffMember/42");
    server.stop().await;
}
