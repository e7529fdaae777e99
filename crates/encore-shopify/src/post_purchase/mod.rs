//! The post-purchase page's formats: the `inputData` token Shopify signs for the extension,
//! the Function's changes in Shopify's changeset JSON, and the changeset token Encore signs.

pub mod changes;
pub mod changeset;
pub mod token;
