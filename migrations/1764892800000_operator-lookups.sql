-- Operators at scale (issue 8): listings newest change first with keyset pagination, the
-- "needs attention" view and bulk actions, fast at a million orders (docs/performance.md has the
-- EXPLAIN figures behind each index).

-- Up Migration

-- Every listing is ORDER BY updated_at DESC, key DESC with a keyset cursor (updated_at, key):
-- with the key in the index the first page is read straight off it, with no sort of the rest.
DROP INDEX orders_state_updated;
CREATE INDEX orders_state_updated ON orders (state, updated_at DESC, key DESC);
CREATE INDEX orders_updated ON orders (updated_at DESC, key DESC);
CREATE INDEX orders_tenant_updated ON orders (tenant, updated_at DESC, key DESC);
CREATE INDEX orders_portal_updated ON orders (portal, updated_at DESC, key DESC);

-- Counts per state × tenant × portal (the console's overview, the metrics' orders per state):
-- the states an operator acts on are a small share of a big ledger, and with the state first
-- they are counted from their own index range instead of the whole index.
DROP INDEX orders_tenant_portal_state;
CREATE INDEX orders_state_tenant_portal ON orders (state, tenant, portal);

-- Confirmed orders whose 2xx BRP sent could not be read and that still lack BRP's numbers:
-- the "review" part of the needs-attention view (a handful among millions).
CREATE INDEX orders_review_open ON orders (updated_at DESC, key DESC)
  WHERE state = 'confirmed' AND review IS NOT NULL AND brp_order_number IS NULL;

-- Operator actions that concern no single order (resuming a tenant or a portal): the rest of
-- the audit trail, beside order_actions.
CREATE TABLE operator_actions (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at         timestamptz NOT NULL,
  actor      text NOT NULL,
  action     text NOT NULL,
  subject    text NOT NULL,
  from_state text,
  to_state   text,
  reason     text,
  detail     text
);
CREATE INDEX operator_actions_at ON operator_actions (at DESC);
-- The console's "latest operator actions": the daemon's own moves left out.
CREATE INDEX order_actions_operator_at ON order_actions (at DESC) WHERE actor <> 'partnerd';

-- Down Migration
DROP INDEX order_actions_operator_at;
DROP TABLE operator_actions;
DROP INDEX orders_review_open;
DROP INDEX orders_state_tenant_portal;
CREATE INDEX orders_tenant_portal_state ON orders (tenant, portal, state);
DROP INDEX orders_portal_updated;
DROP INDEX orders_tenant_updated;
DROP INDEX orders_updated;
DROP INDEX orders_state_updated;
CREATE INDEX orders_state_updated ON orders (state, updated_at DESC);
