-- The products each catalog webhook changed, by the data_version it bumped the shop to
-- (facts_cache.rs): a cache that finds every version since its own here re-reads only those
-- products instead of the whole catalog. The last 1000 versions per shop are kept.
CREATE TABLE facts_changes (
    shop TEXT NOT NULL,
    data_version BIGINT NOT NULL,
    -- JSON array of product ids.
    product_ids TEXT NOT NULL,
    PRIMARY KEY (shop, data_version)
);

-- Every instance's facts cache hears of a change when it commits: NOTIFY encore_facts with
-- "<shop> <data_version>" ("<shop> 0" when the shop row is deleted). Notifications are
-- transactional, so no instance hears of a change it cannot read yet.
CREATE FUNCTION encore_facts_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('encore_facts', OLD.domain || ' 0');
        RETURN OLD;
    END IF;
    IF TG_OP = 'INSERT' OR NEW.data_version IS DISTINCT FROM OLD.data_version THEN
        PERFORM pg_notify('encore_facts', NEW.domain || ' ' || NEW.data_version);
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER shops_facts_changed AFTER INSERT OR UPDATE OR DELETE ON shops
    FOR EACH ROW EXECUTE FUNCTION encore_facts_changed();
