//! Inventory levels per location for the generated store: every item is stocked at the home
//! location with its generated quantity, and at any other location a test sets with
//! `Sim::put_inventory_level`.

use serde_json::{json, Value};

use crate::admin::gid_number;
use crate::state::ShopState;
use crate::store::ITEM_BASE;

/// The location every generated item is stocked at.
pub const HOME_LOCATION: u64 = 7001;

/// `inventoryItem(id:)` with its `inventoryLevels`.
pub(crate) fn item_levels(state: &ShopState, variables: &Value) -> Result<Value, String> {
    let item = gid_number(variables, "id", "InventoryItem")?;
    let spec = &state.spec;
    let Some(index) = item
        .checked_sub(ITEM_BASE + 1)
        .filter(|i| *i < spec.variant_count())
    else {
        return Ok(json!({"inventoryItem": null}));
    };
    let product = spec.product(index / spec.variants_per_product);
    let variant = &product.variants[(index % spec.variants_per_product) as usize];
    let mut levels = vec![(HOME_LOCATION, variant.quantity, product.updated_at.clone())];
    for ((at_item, location), (available, updated_at)) in &state.levels {
        if *at_item != item {
            continue;
        }
        match levels.iter_mut().find(|(l, ..)| *l == *location) {
            Some(level) => *level = (*location, *available, updated_at.clone()),
            None => levels.push((*location, *available, updated_at.clone())),
        }
    }
    levels.sort_by_key(|(location, ..)| *location);
    let nodes: Vec<Value> = levels
        .into_iter()
        .map(|(location, available, updated_at)| {
            json!({
                "location": {"id": format!("gid://shopify/Location/{location}")},
                "quantities": [{"name": "available", "quantity": available}],
                "updatedAt": updated_at,
            })
        })
        .collect();
    Ok(json!({"inventoryItem": {
        "id": format!("gid://shopify/InventoryItem/{item}"),
        "inventoryLevels": {"nodes": nodes},
    }}))
}
