//! The fixture inputs the Function reads (tests/fixtures/*.input.json and the benchmarks) are
//! their readable sources (tests/fixtures/readable, written by generate.py) with the
//! configuration compiled, the lines written as records and the facts packed by
//! `encore_engine::readable_input::write`, as the server writes them. `UPDATE_PACKED=1` writes them;
//! otherwise a fixture that differs from its packed source fails.

use std::path::{Path, PathBuf};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The packed input's text: benchmarks compact, fixtures indented for review.
fn packed_text(name: &str, readable: &str) -> String {
    let source: serde_json::Value = serde_json::from_str(readable)
        .unwrap_or_else(|e| panic!("readable/{name} is not JSON: {e}"));
    let packed = encore_engine::readable_input::write(&source);
    let text = if name.starts_with("bench-") {
        serde_json::to_string(&packed)
    } else {
        serde_json::to_string_pretty(&packed)
    };
    text.expect("JSON") + "\n"
}

#[test]
fn every_fixture_input_is_its_readable_source_packed() {
    let dir = fixtures_dir();
    let update = std::env::var_os("UPDATE_PACKED").is_some();
    let mut names: Vec<String> = std::fs::read_dir(dir.join("readable"))
        .expect("tests/fixtures/readable")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 50,
        "expected the fixture set, found {}",
        names.len()
    );
    let mut stale = Vec::new();
    for name in &names {
        let readable = std::fs::read_to_string(dir.join("readable").join(name)).expect("read");
        let want = packed_text(name, &readable);
        let path = dir.join(name);
        if update {
            std::fs::write(&path, want).expect("write the packed input");
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(want.as_str()) {
            stale.push(name.as_str());
        }
    }
    assert!(
        stale.is_empty(),
        "not in sync with tests/fixtures/readable (UPDATE_PACKED=1 writes them): {stale:?}"
    );
    // Every input the Function is run on has a readable source.
    let orphans: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/fixtures")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| {
            n.ends_with(".input.json") || (n.starts_with("bench-") && !n.ends_with(".output.json"))
        })
        .filter(|n| !names.contains(n))
        .collect();
    assert!(
        orphans.is_empty(),
        "inputs without a readable source: {orphans:?}"
    );
}
