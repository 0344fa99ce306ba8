-- Finance and data protection (docs/personal-data.md): what finance needs of an order for the
-- record's whole life, and what retention and erasure need to find and remove personal data.
-- Every new column is nullable without a default: adding it to a filled table rewrites nothing,
-- and rows registered before this migration simply have no value (there is no backfill).

-- Up Migration

ALTER TABLE orders
  -- The employer (not the employee) as the order named it, kept for the record's life for invoice
  -- reconciliation. A sole trader's organisation number is its owner's personnummer: exports mask it.
  ADD COLUMN organisation_number      text,
  ADD COLUMN organisation_name        text,
  ADD COLUMN organisation_sole_trader boolean,
  ADD COLUMN business_unit            text,
  -- The order total incl. VAT as the portal sent it (the sum of the item prices, öre): the amount of
  -- an order BRP's answer gave no sums for (resolved by an operator, an unreadable 2xx, rejected, unroutable).
  ADD COLUMN order_total_ore          bigint,
  -- HMAC-SHA256 under retention.erasureKey of the ordering person's 12-digit personnummer (hex):
  -- how an erasure request finds the person's orders. Personal data: removed with the rest.
  ADD COLUMN person_hash              text,
  -- When the personal fields were removed (retention or erasure); NULL while they may be there.
  ADD COLUMN personal_data_removed_at timestamptz;

CREATE INDEX orders_person_hash ON orders (person_hash) WHERE person_hash IS NOT NULL;
-- Retention's scan: orders whose personal fields may still be there, by last change.
CREATE INDEX orders_personal_data_kept ON orders (updated_at) WHERE personal_data_removed_at IS NULL;

-- Data-protection actions that are not one order's: retention runs (the records they delete take
-- their own audit trail with them, so the run is the record of the deletion) and erasure requests
-- (with the S&P files they changed). Never a personnummer or its hash.
CREATE TABLE privacy_actions (
  id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at       timestamptz NOT NULL,
  actor    text NOT NULL,
  action   text NOT NULL CHECK (action IN ('retention', 'erasure')),
  reason   text,
  dry_run  boolean NOT NULL,
  summary  jsonb NOT NULL
);
CREATE INDEX privacy_actions_at ON privacy_actions (at);

-- Values every process must agree on with the ledger: the fingerprint of the erasure key the
-- person hashes were made with (a different key would make every erasure search find nothing).
CREATE TABLE ledger_settings (
  name  text PRIMARY KEY,
  value text NOT NULL
);

-- Down Migration
DROP TABLE ledger_settings;
DROP TABLE privacy_actions;
DROP INDEX orders_personal_data_kept;
DROP INDEX orders_person_hash;
ALTER TABLE orders
  DROP COLUMN personal_data_removed_at,
  DROP COLUMN person_hash,
  DROP COLUMN order_total_ore,
  DROP COLUMN business_unit,
  DROP COLUMN organisation_sole_trader,
  DROP COLUMN organisation_name,
  DROP COLUMN organisation_number;
