//! A simulated Shopify with one shop and a few past orders, for the admin's browser tests: the
//! embedded admin installs itself on it (token exchange of its session token), syncs its
//! catalog and replays its orders in the simulator.
//!
//!     cargo run -p shopify-sim --example admin_shop -- CLIENT_ID CLIENT_SECRET
//!
//! Prints one JSON line — `{hostTemplate, shop, orders: [{name, variantId, productId,
//! quantity, unitPrice}]}` — then serves until killed.

use shopify_sim::{Sim, SimConfig, SimCustomer, SimOrder, SimOrderLine, StoreSpec};

const SHOP: &str = "sim-admin.myshopify.com";

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(client_id), Some(client_secret)) = (args.next(), args.next()) else {
        eprintln!("usage: admin_shop CLIENT_ID CLIENT_SECRET");
        std::process::exit(2);
    };
    let sim = Sim::start(SimConfig {
        client_id,
        client_secret,
        ..SimConfig::default()
    })
    .await?;
    let spec = StoreSpec {
        products: 8,
        variants_per_product: 2,
        ..StoreSpec::default()
    };
    sim.add_shop(SHOP, spec.clone());
    sim.put_customer(
        SHOP,
        SimCustomer {
            id: 501,
            tags: vec!["vip".into()],
            number_of_orders: 3,
            amount_spent: "250.00".into(),
        },
    );
    // #1001: a guest's single line; #1002: a returning customer's two lines, the first two
    // of the second product's variant, at a price below today's catalog price.
    let (first, second, third) = (spec.product(0), spec.product(1), spec.product(2));
    let price = |minor: i64| shopify_sim::store::decimal(minor, &spec.currency);
    let orders = [
        (
            1u64,
            None,
            "US",
            "en",
            vec![(&first, 0usize, 1i64, first.variants[0].price_minor)],
        ),
        (
            2,
            Some(501),
            "FR",
            "fr",
            vec![
                (&second, 1, 2, second.variants[1].price_minor - 100),
                (&third, 0, 1, third.variants[0].price_minor),
            ],
        ),
    ];
    let mut printed = Vec::new();
    for (id, customer, country, locale, lines) in orders {
        let name = format!("#{}", 1000 + id);
        sim.put_order(
            SHOP,
            SimOrder {
                id,
                name: name.clone(),
                customer,
                lines: lines
                    .iter()
                    .enumerate()
                    .map(|(k, (product, v, quantity, unit))| SimOrderLine {
                        id: id * 100 + k as u64,
                        variant: Some(product.variants[*v].id),
                        product: Some(product.id),
                        quantity: *quantity,
                        unit_price: price(*unit),
                        discount_minor: 0,
                    })
                    .collect(),
                created_at: format!("2026-11-{:02}T12:00:00Z", 20 + id),
                currency: None,
                metafields: vec![],
                shipping_country: Some(country.into()),
                customer_locale: Some(locale.into()),
            },
        );
        printed.push(serde_json::json!({
            "name": name,
            "lines": lines.iter().map(|(product, v, quantity, unit)| serde_json::json!({
                "productId": product.id.to_string(),
                "variantId": product.variants[*v].id.to_string(),
                "quantity": quantity,
                "unitPrice": price(*unit),
            })).collect::<Vec<_>>(),
        }));
    }
    println!(
        "{}",
        serde_json::json!({"hostTemplate": sim.host_template(), "shop": SHOP, "orders": printed})
    );
    std::future::pending::<()>().await;
    Ok(())
}
