-- What the extension found when Shopify's calculateChangeset priced an offer differently from
-- Encore (a `price_mismatch` event): {"currencyCode", "expected", "calculated"} as JSON text.
ALTER TABLE events ADD COLUMN detail TEXT;
