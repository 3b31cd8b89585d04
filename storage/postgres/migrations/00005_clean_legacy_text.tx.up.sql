-- Tickets and integrations stored before tags and names were validated
-- (icc.Ticket.Tags, icc.Integration.Name) may hold values the current rules
-- refuse, and every later update of such a row would fail. This migration
-- brings them within the rules, as Validate itself would normalise them:
--
--   - each tag loses its control characters and surrounding white space,
--     is cut to 50 characters (an incident tag, "incident:" and an
--     integration name, to 109), empty tags are dropped, duplicates too (the
--     first is kept), and a ticket keeps its first 20 tags;
--   - control characters in an integration's name become spaces, unless the
--     cleaned name is taken (ignoring case) by another integration, in which
--     case the name is left for an operator to change.
--
-- Rows that already follow the rules are not touched.
SET LOCAL lock_timeout = '30s';
LOCK TABLE tickets IN SHARE ROW EXCLUSIVE MODE;

UPDATE tickets t
   SET tags = cleaned.tags
  FROM (
        SELECT t2.id,
               coalesce((SELECT array_agg(c.tag ORDER BY c.first)
                           FROM (SELECT d.tag, min(d.ord) AS first
                                   FROM (SELECT regexp_replace(
                                                    left(regexp_replace(regexp_replace(u.tag, '[[:cntrl:]]', '', 'g'), '^\s+|\s+$', '', 'g'),
                                                         CASE WHEN regexp_replace(regexp_replace(u.tag, '[[:cntrl:]]', '', 'g'), '^\s+', '', 'g') LIKE 'incident:%' THEN 109 ELSE 50 END),
                                                    '\s+$', '', 'g') AS tag,
                                                u.ord
                                           FROM unnest(t2.tags) WITH ORDINALITY AS u(tag, ord)) d
                                  WHERE d.tag <> ''
                                  GROUP BY d.tag
                                  ORDER BY min(d.ord)
                                  LIMIT 20) c), '{}') AS tags
          FROM tickets t2
       ) cleaned
 WHERE t.id = cleaned.id
   AND t.tags IS DISTINCT FROM cleaned.tags;

LOCK TABLE integrations IN SHARE ROW EXCLUSIVE MODE;

UPDATE integrations i
   SET name = regexp_replace(i.name, '[[:cntrl:]]', ' ', 'g'),
       version = i.version + 1,
       updated_at = now()
 WHERE i.name ~ '[[:cntrl:]]'
   AND NOT EXISTS (SELECT 1 FROM integrations o
                    WHERE o.id <> i.id
                      AND lower(o.name) = lower(regexp_replace(i.name, '[[:cntrl:]]', ' ', 'g')));
