-- Why an integration has its status (icc.Integration.StatusReason), in a
-- few words: written by the monitor with the status, empty when the
-- integration is operational or its status was not derived since.
-- Existing integrations get '' until their next check.
--
-- A column with a constant default is added without rewriting the table,
-- but ADD COLUMN still needs a brief exclusive lock: a long transaction
-- elsewhere makes the migration fail after 30 s instead of stalling
-- start-up (and every check with it).
SET LOCAL lock_timeout = '30s';
ALTER TABLE integrations ADD COLUMN status_reason text NOT NULL DEFAULT '';
