-- Integration names are unique ignoring case, as incident matching and the
-- incident:<name> ticket tag ignore case: a unique index on lower(name)
-- replaces the case-sensitive UNIQUE constraint of migration 00001.
--
-- A database may already hold names that differ only by case ("Test API"
-- and "test api"). The oldest of each such group (by created_at, then id)
-- keeps its name; every later one is renamed by appending " (2)", " (3)",
-- ... (the first number whose result is free, ignoring case), shortening
-- the name first where needed so it stays within the 100 bytes that
-- icc.Integration.Validate allows. A renamed integration's version is
-- increased and its updated_at stamped, so that writers holding the old
-- version get ECONFLICT and re-read it. Tickets already tagged
-- incident:<old name> keep their tag.
--
-- The table is locked for the length of this migration, so no duplicate
-- can be inserted between the renaming and the index; the lock is taken at
-- once at the level DROP CONSTRAINT needs (no upgrade that could deadlock
-- with a still-running older instance), and a long transaction elsewhere
-- makes the migration fail after 30 s instead of stalling start-up.
SET LOCAL lock_timeout = '30s';
LOCK TABLE integrations IN ACCESS EXCLUSIVE MODE;

DO $migration$
DECLARE
    dup       record;
    n         integer;
    suffix    text;
    base      text;
    candidate text;
BEGIN
    FOR dup IN
        SELECT id, name
          FROM (SELECT id, name,
                       row_number() OVER (PARTITION BY lower(name) ORDER BY created_at, id) AS rank
                  FROM integrations) ranked
         WHERE rank > 1
         ORDER BY lower(name), rank
    LOOP
        n := 2;
        LOOP
            suffix := ' (' || n || ')';
            base := dup.name;
            WHILE octet_length(base || suffix) > 100 LOOP
                base := rtrim(left(base, char_length(base) - 1));
            END LOOP;
            candidate := base || suffix;
            EXIT WHEN NOT EXISTS (SELECT 1 FROM integrations WHERE lower(name) = lower(candidate));
            n := n + 1;
        END LOOP;
        RAISE NOTICE 'integration % renamed from % to % (names are now unique ignoring case)', dup.id, dup.name, candidate;
        UPDATE integrations
           SET name = candidate, version = version + 1, updated_at = now()
         WHERE id = dup.id;
    END LOOP;
END
$migration$;

-- The UNIQUE constraint of 00001 is named integrations_name_key by default;
-- drop whatever unique constraint covers exactly the name column.
DO $migration$
DECLARE
    con text;
BEGIN
    FOR con IN
        SELECT c.conname
          FROM pg_constraint c
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attname = 'name'
         WHERE c.conrelid = 'integrations'::regclass
           AND c.contype = 'u'
           AND c.conkey = ARRAY[a.attnum]
    LOOP
        EXECUTE format('ALTER TABLE integrations DROP CONSTRAINT %I', con);
    END LOOP;
END
$migration$;

CREATE UNIQUE INDEX integrations_name_lower_key ON integrations (lower(name));
