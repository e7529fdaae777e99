//! The campaigns' history: every configuration save records who changed which campaign and what
//! (an audit trail beside the versions), and a save made on an older version than the live one
//! is merged campaign by campaign instead of silently undoing the save in between.
//!
//! A configuration is `{campaigns: [{id, …}], …shop-wide keys}`. Its *subjects* are each
//! campaign (by id) and each shop-wide key. Saving configuration N edited from base version B
//! while version L is live: a subject N left as B had takes L's; one only N changed takes N's;
//! one both changed differently is a conflict and nothing is saved (409, the editor keeps the
//! merchant's form). Saves are serialized by the shop row's lock, so two racing saves both
//! become versions and neither loses the other's campaigns.

use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::Row;

use crate::{Store, StoreError};

/// Who saved a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A staff member in the embedded admin: the session token's `sub` as its GID (the store
    /// knows no Shopify types; the server converts).
    Staff(String),
    /// An embedded-admin session that names no staff member.
    Merchant,
    /// The operator token (scripts).
    Operator,
    /// Encore itself (the demo seed).
    Encore,
}

impl Actor {
    fn kind(&self) -> &'static str {
        match self {
            Actor::Staff(_) => "staff",
            Actor::Merchant => "merchant",
            Actor::Operator => "operator",
            Actor::Encore => "encore",
        }
    }

    fn id(&self) -> Option<String> {
        match self {
            Actor::Staff(id) => Some(id.clone()),
            _ => None,
        }
    }
}

/// What a save did to one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ChangeKind {
    Created,
    Changed,
    Removed,
    /// The save changed nothing (recorded so every version has its author).
    Unchanged,
}

impl ChangeKind {
    fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Changed => "changed",
            ChangeKind::Removed => "removed",
            ChangeKind::Unchanged => "unchanged",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "created" => ChangeKind::Created,
            "changed" => ChangeKind::Changed,
            "removed" => ChangeKind::Removed,
            "unchanged" => ChangeKind::Unchanged,
            _ => return None,
        })
    }
}

/// One campaign (or the shop-wide keys, `campaign_id` None) a save changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub campaign_id: Option<String>,
    pub kind: ChangeKind,
    /// The top-level keys of the campaign (or of the configuration) that differ.
    pub fields: Vec<String>,
}

/// A configuration's subjects: campaigns by id (in order) and shop-wide keys. None when a
/// campaign has no string id or a duplicate one (then `campaigns` is one subject, and the
/// engine's validation says what is wrong).
fn campaigns_by_id(config: &Value) -> Option<Vec<(String, &Value)>> {
    let list = match config.get("campaigns") {
        None => return Some(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => return None,
    };
    let mut out: Vec<(String, &Value)> = Vec::with_capacity(list.len());
    for c in list {
        let id = c.get("id")?.as_str()?.to_string();
        if out.iter().any(|(seen, _)| *seen == id) {
            return None;
        }
        out.push((id, c));
    }
    Some(out)
}

fn shop_keys(config: &Value) -> Map<String, Value> {
    config
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(k, _)| k.as_str() != "campaigns")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn differing_keys(a: Option<&Value>, b: Option<&Value>) -> Vec<String> {
    let empty = Map::new();
    let a = a.and_then(Value::as_object).unwrap_or(&empty);
    let b = b.and_then(Value::as_object).unwrap_or(&empty);
    let mut keys: Vec<String> = a
        .keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// What changed from `before` (None: the shop's first configuration) to `after`.
pub fn changes(before: Option<&Value>, after: &Value) -> Vec<Change> {
    let null = Value::Null;
    let before = before.unwrap_or(&null);
    let mut out = Vec::new();
    // `version` names the document's format, not a setting anyone changes.
    let settings = |config: &Value| {
        let mut keys = shop_keys(config);
        keys.remove("version");
        Value::Object(keys)
    };
    let shop_fields = differing_keys(Some(&settings(before)), Some(&settings(after)));
    if !shop_fields.is_empty() {
        out.push(Change {
            campaign_id: None,
            kind: ChangeKind::Changed,
            fields: shop_fields,
        });
    }
    match (campaigns_by_id(before), campaigns_by_id(after)) {
        (Some(old), Some(new)) => {
            for (id, c) in &new {
                match old.iter().find(|(o, _)| o == id) {
                    None => out.push(Change {
                        campaign_id: Some(id.clone()),
                        kind: ChangeKind::Created,
                        fields: differing_keys(None, Some(c)),
                    }),
                    Some((_, o)) if o != c => out.push(Change {
                        campaign_id: Some(id.clone()),
                        kind: ChangeKind::Changed,
                        fields: differing_keys(Some(o), Some(c)),
                    }),
                    Some(_) => {}
                }
            }
            for (id, _) in old.iter().filter(|(o, _)| !new.iter().any(|(n, _)| n == o)) {
                out.push(Change {
                    campaign_id: Some(id.clone()),
                    kind: ChangeKind::Removed,
                    fields: Vec::new(),
                });
            }
        }
        // Campaigns without usable ids: say the list changed.
        _ if before.get("campaigns") != after.get("campaigns") => out.push(Change {
            campaign_id: None,
            kind: ChangeKind::Changed,
            fields: vec!["campaigns".into()],
        }),
        _ => {}
    }
    if out.is_empty() {
        out.push(Change {
            campaign_id: None,
            kind: ChangeKind::Unchanged,
            fields: Vec::new(),
        });
    }
    out
}

/// The three-way choice for one subject, or None on a conflict (Some(None): absent).
fn pick<'a>(
    base: Option<&'a Value>,
    mine: Option<&'a Value>,
    live: Option<&'a Value>,
) -> Option<Option<&'a Value>> {
    if mine == base {
        Some(live)
    } else if live == base || live == mine {
        Some(mine)
    } else {
        None
    }
}

/// `mine` (edited from `base`) merged onto `live`; Err names the subjects both changed
/// differently (campaign ids, or shop-wide keys).
pub fn merge(base: &Value, mine: &Value, live: &Value) -> Result<Value, Vec<String>> {
    let mut conflicts = Vec::new();
    let (b, m, l) = (shop_keys(base), shop_keys(mine), shop_keys(live));
    let mut out = Map::new();
    for key in l.keys().chain(m.keys().filter(|k| !l.contains_key(*k))) {
        match pick(b.get(key), m.get(key), l.get(key)) {
            Some(Some(v)) => {
                out.insert(key.clone(), v.clone());
            }
            Some(None) => {}
            None => conflicts.push(key.clone()),
        }
    }
    let campaigns = match (
        campaigns_by_id(base),
        campaigns_by_id(mine),
        campaigns_by_id(live),
    ) {
        (Some(b), Some(m), Some(l)) => {
            let find = |list: &[(String, &Value)], id: &str| {
                list.iter()
                    .find(|(i, _)| i == id)
                    .map(|(_, v)| (*v).clone())
            };
            // Live's order, then campaigns only this save adds, in its order.
            let ids = l
                .iter()
                .map(|(i, _)| i)
                .chain(
                    m.iter()
                        .map(|(i, _)| i)
                        .filter(|i| !l.iter().any(|(x, _)| x == *i)),
                )
                .chain(
                    b.iter()
                        .map(|(i, _)| i)
                        .filter(|i| !l.iter().chain(m.iter()).any(|(x, _)| x == *i)),
                );
            let mut list = Vec::new();
            for id in ids {
                let (bv, mv, lv) = (find(&b, id), find(&m, id), find(&l, id));
                match pick(bv.as_ref(), mv.as_ref(), lv.as_ref()) {
                    Some(Some(v)) => list.push(v.clone()),
                    Some(None) => {}
                    None => conflicts.push(id.clone()),
                }
            }
            Some(Value::Array(list))
        }
        _ => match pick(
            base.get("campaigns"),
            mine.get("campaigns"),
            live.get("campaigns"),
        ) {
            Some(v) => v.cloned(),
            None => {
                conflicts.push("campaigns".into());
                None
            }
        },
    };
    if !conflicts.is_empty() {
        return Err(conflicts);
    }
    if let Some(list) = campaigns {
        out.insert("campaigns".into(), list);
    }
    Ok(Value::Object(out))
}

/// How a save ended.
#[derive(Debug)]
pub enum SaveOutcome {
    /// Saved as `version`; `merged_onto` names the live version a stale save was merged onto.
    Saved {
        version: i64,
        merged_onto: Option<i64>,
    },
    /// The base version is not one of the shop's versions.
    UnknownBase(i64),
    /// Both this save and the live version changed these subjects: nothing saved.
    Conflict { live: i64, subjects: Vec<String> },
    /// The merged configuration is refused (faults at their JSON paths): nothing saved.
    Invalid(Vec<(String, String)>),
}

/// One audit entry.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub version: i64,
    pub campaign_id: Option<String>,
    pub change: ChangeKind,
    pub fields: Vec<String>,
    /// staff | merchant | operator | encore
    pub actor: String,
    /// The staff member's id, when a session named one.
    pub staff_member_id: Option<String>,
    /// The version a stale save was edited from (it was merged onto the live one).
    pub base_version: Option<i64>,
    pub created_at: i64,
}

impl Store {
    /// Saves `config` as the shop's next version with its audit entries, in one transaction.
    /// `base`: the version the caller edited (None: replace whatever is live). `validate`
    /// checks what will be stored (the merged document when the base is stale).
    pub async fn save_config(
        &self,
        shop: &str,
        config: &Value,
        base: Option<i64>,
        actor: &Actor,
        now: i64,
        validate: impl Fn(&Value) -> Result<(), Vec<(String, String)>>,
    ) -> Result<SaveOutcome, StoreError> {
        let mut tx = self.writer().begin().await?;
        // Taking the shop row's lock first serializes saves of one shop (PostgreSQL; SQLite
        // has one writer): the live version read next cannot change under this save.
        sqlx::query("UPDATE shops SET data_version = data_version + 1 WHERE domain = $1")
            .bind(shop)
            .execute(&mut *tx)
            .await?;
        let live = sqlx::query(
            "SELECT version, config FROM config_versions WHERE shop = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(shop)
        .fetch_optional(&mut *tx)
        .await?;
        let live: Option<(i64, Value)> = match live {
            Some(r) => Some((
                r.try_get(0)?,
                serde_json::from_str(&r.try_get::<String, _>(1)?)?,
            )),
            None => None,
        };
        let live_version = live.as_ref().map(|(v, _)| *v);
        let mut stored = config.clone();
        let mut merged_onto = None;
        if let (Some(base), Some((live_version, live_config))) = (base, &live) {
            if base > *live_version || base < 1 {
                return Ok(SaveOutcome::UnknownBase(base));
            }
            if base < *live_version {
                let row = sqlx::query(
                    "SELECT config FROM config_versions WHERE shop = $1 AND version = $2",
                )
                .bind(shop)
                .bind(base)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    return Ok(SaveOutcome::UnknownBase(base));
                };
                let base_config: Value = serde_json::from_str(&row.try_get::<String, _>(0)?)?;
                match merge(&base_config, config, live_config) {
                    Ok(merged) => stored = merged,
                    Err(subjects) => {
                        return Ok(SaveOutcome::Conflict {
                            live: *live_version,
                            subjects,
                        })
                    }
                }
                merged_onto = Some(*live_version);
            }
        } else if let (Some(base), None) = (base, &live) {
            return Ok(SaveOutcome::UnknownBase(base));
        }
        if let Err(faults) = validate(&stored) {
            return Ok(SaveOutcome::Invalid(faults));
        }
        let version = live_version.unwrap_or(0) + 1;
        sqlx::query(
            "INSERT INTO config_versions (shop, version, config, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(shop)
        .bind(version)
        .bind(serde_json::to_string(&stored)?)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        for (seq, change) in changes(live.as_ref().map(|(_, c)| c), &stored)
            .into_iter()
            .enumerate()
        {
            sqlx::query(
                "INSERT INTO config_audit (shop, version, seq, campaign_id, change, fields, actor_kind, actor_id, base_version, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(shop)
            .bind(version)
            .bind(seq as i64)
            .bind(change.campaign_id)
            .bind(change.kind.as_str())
            .bind(serde_json::to_string(&change.fields)?)
            .bind(actor.kind())
            .bind(actor.id())
            .bind(merged_onto.and(base))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(SaveOutcome::Saved {
            version,
            merged_onto,
        })
    }

    /// The shop's audit entries, newest first, for one campaign (with the shop-wide changes)
    /// or all; at most `limit`.
    pub async fn config_history(
        &self,
        shop: &str,
        campaign: Option<&str>,
        limit: i64,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, campaign_id, change, fields, actor_kind, actor_id, base_version, created_at \
             FROM config_audit WHERE shop = $1 AND ($2 IS NULL OR campaign_id = $2 OR campaign_id IS NULL) \
             ORDER BY version DESC, seq LIMIT $3",
        )
        .bind(shop)
        .bind(campaign)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                let change: String = r.try_get(2)?;
                let fields: String = r.try_get(3)?;
                Ok(HistoryEntry {
                    version: r.try_get(0)?,
                    campaign_id: r.try_get(1)?,
                    change: ChangeKind::parse(&change).unwrap_or(ChangeKind::Changed),
                    fields: serde_json::from_str(&fields)?,
                    actor: r.try_get(4)?,
                    staff_member_id: r.try_get(5)?,
                    base_version: r.try_get(6)?,
                    created_at: r.try_get(7)?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(campaigns: Value) -> Value {
        json!({"version": 1, "campaigns": campaigns})
    }

    #[test]
    fn saves_that_changed_different_campaigns_keep_both_changes() {
        let base = config(json!([{"id": "a", "priority": 1}, {"id": "b", "priority": 2}]));
        let first = config(json!([{"id": "a", "priority": 9}, {"id": "b", "priority": 2}]));
        let second = config(
            json!([{"id": "a", "priority": 1}, {"id": "b", "status": "paused", "priority": 2}]),
        );
        let merged = merge(&base, &second, &first).unwrap();
        assert_eq!(
            merged,
            config(
                json!([{"id": "a", "priority": 9}, {"id": "b", "status": "paused", "priority": 2}])
            )
        );
    }

    #[test]
    fn saves_that_changed_one_campaign_differently_conflict_on_it() {
        let base = config(json!([{"id": "a", "priority": 1}]));
        let first = config(json!([{"id": "a", "priority": 9}]));
        let second = config(json!([{"id": "a", "priority": 5}]));
        assert_eq!(merge(&base, &second, &first), Err(vec!["a".to_string()]));
        // The same change twice is no conflict.
        assert_eq!(merge(&base, &first, &first), Ok(first.clone()));
    }

    #[test]
    fn a_stale_save_keeps_campaigns_added_and_removed_in_between() {
        let base = config(json!([{"id": "a"}, {"id": "b"}]));
        let live = config(json!([{"id": "a"}, {"id": "c"}]));
        let mine = config(json!([{"id": "a"}, {"id": "b"}, {"id": "d"}]));
        assert_eq!(
            merge(&base, &mine, &live).unwrap(),
            config(json!([{"id": "a"}, {"id": "c"}, {"id": "d"}]))
        );
        // Removing a campaign another save changed is a conflict, not a silent loss.
        let changed = config(json!([{"id": "a", "status": "paused"}, {"id": "b"}]));
        let removed = config(json!([{"id": "b"}]));
        assert_eq!(merge(&base, &removed, &changed), Err(vec!["a".to_string()]));
    }

    #[test]
    fn changes_name_each_campaign_and_the_keys_that_differ() {
        let before = config(json!([{"id": "a", "priority": 1, "name": "A"}, {"id": "b"}]));
        let after = json!({"version": 1, "defaults": {"guardrails": {}}, "campaigns": [{"id": "a", "priority": 2, "name": "A"}, {"id": "c"}]});
        let got = changes(Some(&before), &after);
        assert_eq!(
            got,
            vec![
                Change {
                    campaign_id: None,
                    kind: ChangeKind::Changed,
                    fields: vec!["defaults".into()]
                },
                Change {
                    campaign_id: Some("a".into()),
                    kind: ChangeKind::Changed,
                    fields: vec!["priority".into()]
                },
                Change {
                    campaign_id: Some("c".into()),
                    kind: ChangeKind::Created,
                    fields: vec!["id".into()]
                },
                Change {
                    campaign_id: Some("b".into()),
                    kind: ChangeKind::Removed,
                    fields: vec![]
                },
            ]
        );
        assert_eq!(changes(Some(&after), &after)[0].kind, ChangeKind::Unchanged);
    }
}
