//! The bulk JSONL reader joins rows by `__parentId`, streams, and skips and counts bad lines.

use std::io::Cursor;

use encore_engine::money::Currency;
use encore_shopify::bulk::{
    CatalogAssembler, CatalogEntry, CatalogLines, CatalogReader, Child, InventoryPolicy,
    ProductRecord, MAX_LINE_BYTES,
};
use encore_shopify::ids::ProductId;
use shopify_sim::bulk::JsonlChunks;
use shopify_sim::StoreSpec;

fn usd() -> CatalogAssembler {
    CatalogAssembler::new(Currency::from_code("USD").unwrap())
}

fn read_file(name: &str) -> (Vec<CatalogEntry>, encore_shopify::bulk::CatalogStats) {
    let path = format!("{}/tests/bulk/{name}", env!("CARGO_MANIFEST_DIR"));
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut lines = CatalogLines::new(file, usd());
    let entries = lines.by_ref().collect::<Result<Vec<_>, _>>().unwrap();
    (entries, lines.stats().clone())
}

fn products(entries: &[CatalogEntry]) -> Vec<&ProductRecord> {
    entries
        .iter()
        .filter_map(|e| match e {
            CatalogEntry::Product(p) => Some(p),
            _ => None,
        })
        .collect()
}

#[test]
fn children_that_follow_their_product_are_joined_into_it() {
    let (entries, stats) = read_file("catalog-children-follow-their-product.jsonl");
    let products = products(&entries);
    assert_eq!(products.len(), 2);
    let phone = products[0];
    assert_eq!(phone.id, ProductId::new(101).unwrap());
    assert_eq!(
        phone.image_url.as_deref(),
        Some("https://cdn.shopify.com/phone-x.jpg")
    );
    assert_eq!(phone.variants.len(), 2);
    assert_eq!(phone.variants[0].price_minor, 79900);
    assert_eq!(phone.variants[0].compare_at_price_minor, Some(89900));
    assert_eq!(
        phone.variants[0].inventory_item.unit_cost,
        Some((42050, "USD".into()))
    );
    assert_eq!(
        phone.variants[1].inventory_policy,
        InventoryPolicy::Continue
    );
    assert_eq!(phone.variants[1].inventory_quantity, Some(-1));
    assert_eq!(phone.collections[0].handle, "phones");
    let planner = products[1];
    assert!(planner.requires_selling_plan && planner.image_url.is_none());
    assert_eq!(planner.selling_plan_groups[0].name, "Monthly");
    assert!(!planner.variants[0].inventory_item.requires_shipping);
    assert_eq!(
        (
            stats.products,
            stats.variants,
            stats.malformed,
            stats.detached
        ),
        (2, 3, 0, 0)
    );
}

#[test]
fn a_child_arriving_after_the_next_product_is_given_out_detached_with_its_parent() {
    let (entries, stats) = read_file("catalog-child-after-the-next-product.jsonl");
    assert!(
        matches!(&entries[0], CatalogEntry::Product(p) if p.id.get() == 101 && p.collections.is_empty())
    );
    match &entries[1] {
        CatalogEntry::Detached {
            product,
            child: Child::Collection(c),
        } => {
            assert_eq!(product.get(), 101);
            assert_eq!(c.handle, "phones");
        }
        other => panic!("expected a detached collection, got {other:?}"),
    }
    assert!(
        matches!(&entries[2], CatalogEntry::Product(p) if p.id.get() == 102 && p.collections.len() == 1)
    );
    assert_eq!(stats.detached, 1);
}

#[test]
fn malformed_lines_are_skipped_and_counted_with_their_line_numbers() {
    let (entries, stats) = read_file("catalog-with-malformed-lines.jsonl");
    let products = products(&entries);
    assert_eq!(products.len(), 1);
    let kept: Vec<&str> = products[0]
        .variants
        .iter()
        .map(|v| v.title.as_str())
        .collect();
    assert_eq!(kept, ["good"]);
    assert_eq!(stats.malformed, 5);
    let lines: Vec<u64> = stats.first_malformed.iter().map(|m| m.line).collect();
    assert_eq!(lines, [2, 3, 4, 5, 6]);
    assert!(stats.first_malformed[1].reason.contains("eight"));
}

#[test]
fn a_line_longer_than_the_limit_is_skipped_without_being_kept() {
    let mut input = Vec::new();
    input.extend_from_slice(br#"{"id":"gid://shopify/Product/1","title":""#);
    input.resize(input.len() + MAX_LINE_BYTES + 10, b'x');
    input.extend_from_slice(b"\"}\n");
    input.extend_from_slice(br#"{"id":"gid://shopify/Product/2","title":"ok","handle":"ok","productType":"","vendor":"","tags":[],"status":"ACTIVE","updatedAt":"2026-11-30T09:00:00Z","requiresSellingPlan":false,"featuredMedia":null}"#);
    let mut lines = CatalogLines::new(Cursor::new(input), usd());
    let entries = lines.by_ref().collect::<Result<Vec<_>, _>>().unwrap();
    assert_eq!(products(&entries).len(), 1);
    assert_eq!(lines.stats().malformed, 1);
}

#[tokio::test]
async fn a_generated_catalog_streams_through_the_async_reader_whole() {
    let spec = StoreSpec {
        seed: 11,
        products: 500,
        variants_per_product: 4,
        currency: "USD".into(),
    };
    let bytes: Vec<u8> = JsonlChunks::new(spec.clone(), true)
        .flat_map(|c| c.to_vec())
        .collect();
    let mut reader = CatalogReader::new(tokio::io::BufReader::new(&bytes[..]), usd());
    let (mut products, mut variants, mut detached) = (0u64, 0u64, 0u64);
    while let Some(entry) = reader.next().await.unwrap() {
        match entry {
            CatalogEntry::Product(p) => {
                let expected = spec.product(p.id.get() - shopify_sim::store::PRODUCT_BASE - 1);
                assert_eq!(p.title, expected.title);
                assert_eq!(p.variants.len(), 4);
                assert_eq!(p.variants[0].price_minor, expected.variants[0].price_minor);
                products += 1;
                variants += p.variants.len() as u64;
            }
            CatalogEntry::Detached { .. } => detached += 1,
        }
    }
    assert_eq!((products, variants), (500, 2000));
    assert_eq!(reader.stats().malformed, 0);
    // Every product's collections came after the next product's row: detached, except the
    // last product's, which end the file while it is still open.
    let last = spec.product(499).collections.len() as u64;
    assert_eq!(detached, reader.stats().collections - last);
}
