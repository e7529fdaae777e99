//! The provider that counts instructions is the build function-runner 9.2.1 embeds: the
//! lockfile pins the dependency versions that build used, and the built wasm's sha256 is the
//! recorded one. A drifted provider moves every instruction count (about 1% for bumpalo/rmp
//! versions alone), so the budgets would no longer mean Shopify's counts.

use std::path::Path;

use sha2::{Digest, Sha256};

fn provider_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../provider"))
}

#[test]
fn the_provider_lockfile_pins_the_versions_function_runner_embeds() {
    let lock =
        std::fs::read_to_string(provider_dir().join("Cargo.lock")).expect("provider/Cargo.lock");
    for (name, version) in [
        ("shopify_function_provider", "2.0.0"),
        ("bumpalo", "3.19.0"),
        ("rmp", "0.8.14"),
    ] {
        let entry = format!("name = \"{name}\"\nversion = \"{version}\"\n");
        assert!(
            lock.contains(&entry),
            "provider/Cargo.lock must pin {name} {version} (function-runner 9.2.1's provider build)"
        );
    }
}

#[test]
fn the_built_provider_is_the_recorded_build() {
    let recorded =
        std::fs::read_to_string(provider_dir().join("shopify_function_provider.wasm.sha256"))
            .expect("provider/shopify_function_provider.wasm.sha256");
    let expected = recorded.split_whitespace().next().expect("a sha256");
    // The artifact scripts/build-wasm.sh builds, not an ENCORE_PROVIDER_WASM override.
    let path = encore_host::default_artifact_dir().join("shopify_function_provider.wasm");
    let wasm = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; build it with scripts/build-wasm.sh",
            path.display()
        )
    });
    let actual: String = Sha256::digest(&wasm)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        actual,
        expected,
        "{} drifted from the recorded provider build (rustc 1.89.0, provider/Cargo.lock); \
         instruction counts would no longer be function-runner's",
        path.display()
    );
}
