-- What offers earn (docs/mining.md, "Demotion"): the co-purchase pair that made an `auto` offer
-- suggest its product — the purchased product and the offered one — so that mining can demote
-- pairs whose offers are refunded. NULL for offers whose products the campaign named.
ALTER TABLE decisions ADD COLUMN pair_product_id TEXT;
ALTER TABLE decisions ADD COLUMN pair_suggested_product_id TEXT;
