//! Encore's post-purchase offer Function: the Shopify Function Wasm API v2 adapter between the
//! typed input/output of `schema.graphql` and `encore-engine`.

use shopify_function::prelude::*;
use shopify_function::Result;

mod adapter;

// SAFETY: a Function runs on one thread.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::LeakingAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::LeakingAllocator::new()) };

#[typegen("schema.graphql", enums_as_str = ["InventoryPolicy"])]
pub mod schema {
    #[query("input.graphql")]
    pub mod run {}
}

#[shopify_function]
fn run(input: schema::run::Input) -> Result<schema::FunctionRunResult> {
    Ok(adapter::run(&input))
}

fn main() {
    log!("Invoke a named export");
    std::process::abort();
}

#[cfg(test)]
#[path = "../tests/fixtures_native.rs"]
mod fixtures_native;
