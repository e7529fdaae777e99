#!/usr/bin/env bash
# Replaces the vendored Admin schema with Shopify's, from npm @shopify/dev-mcp.
#   crates/encore-shopify/schema/update.sh 2026-10 [dev-mcp version]
# Then set API_VERSION in src/host.rs, SCHEMA_GZ in build.rs and [webhooks] api_version in
# shopify.app.toml to the same version, and rebuild (queries that no longer fit fail the build).
set -euo pipefail
version="${1:?API version, such as 2026-10}"
package="@shopify/dev-mcp@${2:-1.16.0}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$package" >/dev/null && tar xzf ./*.tgz)
cp "$work/package/dist/data/admin_${version}.json.gz" "$here/"
sha256sum "$here/admin_${version}.json.gz"
