//! Encore's post-purchase offer Function (Shopify Function Wasm API v2 adapter).
fn main() {}
