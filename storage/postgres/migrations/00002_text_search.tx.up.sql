-- Trigram indexes that make the substring searches (ILIKE '%term%') of
-- tickets, customers and integration logs fast. pg_trgm is optional: when
-- it cannot be installed (no privilege, extension not shipped), the searches
-- still work by scanning and this migration only logs a notice.
--
-- Extensions are database-wide while stores may use one schema each, so the
-- extension goes into schema public (never into a store's schema, which a
-- DROP SCHEMA ... CASCADE would take away from every other store), creation
-- is serialised across sessions with a transaction-level advisory lock, and
-- the operator class is named with the schema the extension actually lives in.
DO $migration$
DECLARE
    trgm_schema text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('icc:create-extension-pg_trgm'));
    SELECT n.nspname INTO trgm_schema
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'pg_trgm';
    IF trgm_schema IS NULL THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
            trgm_schema := 'public';
        EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE 'pg_trgm is not available (%), text search will scan', SQLERRM;
            RETURN;
        END;
    END IF;
    EXECUTE format(
        'CREATE INDEX tickets_search_idx ON tickets USING gin ((lower(subject || %L || body)) %I.gin_trgm_ops)',
        E'\n', trgm_schema);
    EXECUTE format(
        'CREATE INDEX customers_search_idx ON customers USING gin ((lower(email || %L || name || %L || account)) %I.gin_trgm_ops)',
        E'\n', E'\n', trgm_schema);
    EXECUTE format(
        'CREATE INDEX integration_logs_search_idx ON integration_logs USING gin ((lower(method || %L || endpoint || %L || url || %L || error || %L || message)) %I.gin_trgm_ops)',
        E'\n', E'\n', E'\n', E'\n', trgm_schema);
END
$migration$;
