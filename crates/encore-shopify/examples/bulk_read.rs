//! Benchmark: a generated bulk JSONL file of N variants read through the catalog reader.
//!
//!     cargo run --release -p encore-shopify --example bulk_read -- 100000 4
//!
//! Writes the simulator's catalog (N variants, V per product, some children detached) to a
//! temporary file, then streams it through `CatalogReader` from a tokio file and reports
//! variants per second and the process's peak resident memory (VmHWM from /proc/self/status)
//! before and after reading, so a reader that held the file would show as growth.

use std::io::Write;
use std::time::Instant;

use encore_engine::money::Currency;
use encore_shopify::bulk::{CatalogAssembler, CatalogEntry, CatalogReader};
use shopify_sim::bulk::JsonlChunks;
use shopify_sim::StoreSpec;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let variants: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let per_product: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(4);
    let spec = StoreSpec {
        seed: 1,
        products: variants.div_ceil(per_product),
        variants_per_product: per_product,
        currency: "USD".into(),
    };

    let path = std::env::temp_dir().join(format!("encore-bulk-{}.jsonl", std::process::id()));
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
        for chunk in JsonlChunks::new(spec.clone(), true) {
            file.write_all(&chunk)?;
        }
        file.flush()?;
    }
    let size = std::fs::metadata(&path)?.len();
    let rss_before = peak_rss_kib();

    let file = tokio::fs::File::open(&path).await?;
    let input = tokio::io::BufReader::with_capacity(64 * 1024, file);
    let mut reader = CatalogReader::new(
        input,
        CatalogAssembler::new(Currency::from_code("USD").expect("USD")),
    );
    let started = Instant::now();
    let (mut products, mut variants_read, mut detached) = (0u64, 0u64, 0u64);
    while let Some(entry) = reader.next().await? {
        match entry {
            CatalogEntry::Product(p) => {
                products += 1;
                variants_read += p.variants.len() as u64;
            }
            CatalogEntry::Detached { .. } => detached += 1,
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let rss_after = peak_rss_kib();
    std::fs::remove_file(&path)?;

    let stats = reader.stats();
    println!(
        "file {:.1} MB, {} lines: {products} products, {variants_read} variants, {detached} detached children, {} malformed",
        size as f64 / 1e6,
        stats.lines,
        stats.malformed
    );
    println!(
        "read in {:.3} s: {:.0} variants/s, {:.0} lines/s, {:.1} MB/s",
        seconds,
        variants_read as f64 / seconds,
        stats.lines as f64 / seconds,
        size as f64 / 1e6 / seconds
    );
    println!("peak RSS (VmHWM): {rss_before} KiB before reading, {rss_after} KiB after");
    Ok(())
}
