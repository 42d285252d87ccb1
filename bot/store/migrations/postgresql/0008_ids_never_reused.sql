-- PostgreSQL twin of ../0008_ids_never_reused.sql, which rebuilds SQLite's tables with AUTOINCREMENT so a
-- deleted row's id is never handed out again (old Discord buttons carry ids). Here every id is an identity
-- column (0001-0003) whose sequence never goes back, so nothing changes: this file only asserts that,
-- failing the migration (and so the start) should a table whose ids reach users ever lose its identity.

DO $$
DECLARE
    missing text;
BEGIN
    SELECT string_agg(wanted.name, ', ') INTO missing
      FROM unnest(ARRAY['challenges', 'entries', 'removed_entries', 'clips', 'jobs']) AS wanted (name)
     WHERE NOT EXISTS (
               SELECT 1 FROM information_schema.columns c
                WHERE c.table_schema = current_schema() AND c.table_name = wanted.name
                  AND c.column_name = 'id' AND c.is_identity = 'YES');
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'these tables lack an identity id, so their ids could be reused: %', missing;
    END IF;
END
$$;
