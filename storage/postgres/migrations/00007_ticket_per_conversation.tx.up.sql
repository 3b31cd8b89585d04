-- A conversation becomes at most one ticket (icc.TicketStore.CreateTicket):
-- a unique index on tickets.conversation_id, for the tickets that have one.
--
-- Two instances turning one chat into a ticket at the same moment could
-- each make one before this index existed. Such tickets keep their text;
-- all but one lose the link: the ticket the conversation names is kept,
-- else the oldest (by created_at, then id). How many were unlinked is
-- reported as a notice.
--
-- Writes to tickets wait for the length of this migration (reads go on),
-- so no second ticket of a conversation can be stored between the
-- unlinking and the index; a long transaction elsewhere makes the
-- migration fail after 30 s instead of stalling start-up.
SET LOCAL lock_timeout = '30s';
LOCK TABLE tickets IN SHARE ROW EXCLUSIVE MODE;

DO $migration$
DECLARE
    unlinked integer;
BEGIN
    WITH keep AS (
        SELECT DISTINCT ON (t.conversation_id) t.conversation_id, t.id
        FROM tickets t
        LEFT JOIN conversations c ON c.id = t.conversation_id
        WHERE t.conversation_id <> ''
        ORDER BY t.conversation_id, (c.ticket_id = t.id) DESC NULLS LAST, t.created_at, t.id
    )
    UPDATE tickets t SET conversation_id = ''
    FROM keep k
    WHERE t.conversation_id = k.conversation_id AND t.id <> k.id;
    GET DIAGNOSTICS unlinked = ROW_COUNT;
    IF unlinked > 0 THEN
        RAISE NOTICE 'migration 00007: % ticket(s) unlinked from a conversation another ticket was made from', unlinked;
    END IF;
END
$migration$;

CREATE UNIQUE INDEX tickets_conversation_id_key ON tickets (conversation_id) WHERE conversation_id <> '';
