-- The classifier's reading of a conversation (icc.Conversation.Triage): the
-- JSON of an icc.Triage, written only by SetConversationTriage, NULL until
-- a customer message was classified. Existing conversations get NULL.
--
-- A nullable column without a default is added without rewriting the
-- table, but ADD COLUMN still needs a brief exclusive lock: a long
-- transaction elsewhere makes the migration fail after 30 s instead of
-- stalling start-up (and every chat with it).
SET LOCAL lock_timeout = '30s';
ALTER TABLE conversations ADD COLUMN triage jsonb;
