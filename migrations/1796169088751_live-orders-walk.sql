-- The reconciler walks every live order in batches with a keyset cursor. It walked them by key,
-- which no live-only index orders: each pass's first batch read past every final order before the
-- first live one (a pass over a ledger of a million confirmed orders reads them all), and took so
-- long that orders finished meanwhile were queued again. The live-only index gains the key, and
-- the walk goes by (tenant, received_at, key): each batch is read straight off the index, oldest
-- first. The metrics' "oldest waiting per tenant" still reads its prefix.

-- Up Migration
DROP INDEX orders_live;
CREATE INDEX orders_live ON orders (tenant, received_at, key) WHERE state IN ('queued', 'submitting', 'retrying');

-- Down Migration
DROP INDEX orders_live;
CREATE INDEX orders_live ON orders (tenant, received_at) WHERE state IN ('queued', 'submitting', 'retrying');
