-- The ledger: partnerd's system of record for every order (docs/architecture.md, "Stores").
-- Redis and BullMQ only move work; everything an operator, finance or the exactly-once guard
-- needs to know about an order lives here.

-- Up Migration

-- One row per order key `tenant:portal:ordernr` (unroutable orders: tenant `~`).
CREATE TABLE orders (
  key               text PRIMARY KEY,
  tenant            text NOT NULL,
  portal            text NOT NULL,
  ordernr           text NOT NULL,
  state             text NOT NULL CHECK (state IN
                      ('queued', 'submitting', 'retrying', 'confirmed', 'rejected', 'in_doubt', 'dead', 'unroutable', 'rerouted')),
  received_at       timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  -- When it first reached an outcome the portal is told about (confirmed, rejected, unroutable):
  -- the S&P receipts day. Cleared when it leaves that outcome (re-queued, re-routed).
  final_at          timestamptz,
  confirmed_at      timestamptz,
  -- Attempts opened so far; the open one (if any) started at open_attempt_at.
  attempts          integer NOT NULL DEFAULT 0,
  open_attempt_at   timestamptz,
  -- What is needed to send it, kept only while it may still be sent (dropped once confirmed).
  payload           jsonb,
  xml               text,
  xml_proof         text,
  -- Unroutable orders: the portal order as the adapter read it, and why it could not be routed.
  portal_order      jsonb,
  unroutable_reason text,
  routed_to         text,
  -- 'partnerd' when partnerd's own validation refused it (never sent to BRP).
  rejected_by       text,
  -- BRP's answer.
  brp_order_number  text,
  brp_created_at    text,
  invoice_number    text,
  ocr               text,
  invoice_date      date,
  due_date          date,
  sum_ore           bigint,
  sum_ex_vat_ore    bigint,
  invoice_total_ore bigint,
  vat_sums          jsonb,
  brp_error         jsonb,
  last_error        text,
  -- A 2xx BRP sent that could not be read, or a confirmation recorded by an operator.
  review            text,
  raw_response      text,
  CONSTRAINT orders_exactly_once UNIQUE (tenant, portal, ordernr)
);

-- What operators and finance ask (issue: "Indexes for what operators ask").
CREATE INDEX orders_state_updated ON orders (state, updated_at DESC);
CREATE INDEX orders_tenant_portal_state ON orders (tenant, portal, state);
CREATE INDEX orders_ordernr ON orders (ordernr);
CREATE INDEX orders_brp_order_number ON orders (brp_order_number) WHERE brp_order_number IS NOT NULL;
CREATE INDEX orders_invoice_number ON orders (invoice_number) WHERE invoice_number IS NOT NULL;
CREATE INDEX orders_ocr ON orders (ocr) WHERE ocr IS NOT NULL;
CREATE INDEX orders_confirmed_at ON orders (confirmed_at) WHERE confirmed_at IS NOT NULL;
CREATE INDEX orders_received_at ON orders (received_at);
CREATE INDEX orders_final_at ON orders (portal, final_at) WHERE final_at IS NOT NULL;
-- The reconciler's and the backlog metrics' scan: only live orders.
CREATE INDEX orders_live ON orders (tenant, received_at) WHERE state IN ('queued', 'submitting', 'retrying');

-- The portal's own order id → the order it became: one record per portal order, whatever
-- routing says. A re-routed unroutable order hands its entry on to the key it continues under.
CREATE TABLE portal_orders (
  portal          text NOT NULL,
  portal_order_id text NOT NULL,
  order_key       text NOT NULL REFERENCES orders (key),
  PRIMARY KEY (portal, portal_order_id)
);

-- Every call to BRP: opened (committed) before the request leaves, closed with its outcome.
-- An attempt that stays open longer than any call can take is the sign of a worker that died
-- mid-call: BRP may have created the order.
CREATE TABLE attempts (
  order_key   text NOT NULL REFERENCES orders (key) ON DELETE CASCADE,
  n           integer NOT NULL,
  started_at  timestamptz NOT NULL,
  ended_at    timestamptz,
  class       text,
  http_status integer,
  duration_ms integer,
  detail      text,
  PRIMARY KEY (order_key, n)
);

-- State changes that are not a BRP call: operator actions and the daemon's own moves
-- (re-routing, a reconciled order). The audit trail.
CREATE TABLE order_actions (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_key  text NOT NULL REFERENCES orders (key) ON DELETE CASCADE,
  at         timestamptz NOT NULL,
  actor      text NOT NULL,
  action     text NOT NULL,
  from_state text,
  to_state   text,
  reason     text,
  detail     text
);
CREATE INDEX order_actions_order ON order_actions (order_key, at);

-- The outbox of outcomes the pull portals must be told (Wellnet delivery, Epassi marking):
-- written in the same statement as the outcome, retried until the portal takes it.
CREATE TABLE notifications (
  order_key   text PRIMARY KEY REFERENCES orders (key) ON DELETE CASCADE,
  portal      text NOT NULL,
  due_at      timestamptz NOT NULL,
  attempts    integer NOT NULL DEFAULT 0,
  last_error  text,
  notified_at timestamptz
);
CREATE INDEX notifications_due ON notifications (due_at) WHERE notified_at IS NULL;

-- Where each pull portal's reading stands (Wellnet's opaque cursor), saved in the transaction
-- that stores the page's orders.
CREATE TABLE pull_cursors (
  portal     text PRIMARY KEY,
  cursor     text NOT NULL,
  updated_at timestamptz NOT NULL
);

-- Down Migration
DROP TABLE pull_cursors;
DROP TABLE notifications;
DROP TABLE order_actions;
DROP TABLE attempts;
DROP TABLE portal_orders;
DROP TABLE orders;
