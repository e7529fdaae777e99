//! Empty: this package only exists to pin `shopify_function_provider`, which is built with `-p`.
