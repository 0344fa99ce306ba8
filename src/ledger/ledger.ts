import { findXmlIllegalChar } from '../domain/xml-text.js';
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { CanonicalOrder, OrderKey, Portal } from '../domain/canonical-order.js';
import { formatOrderKey } from '../domain/canonical-order.js';
import { lineAmountOre, sumOre } from '../domain/money.js';
import { normaliseOrganisationsnummer } from '../domain/organisationsnummer.js';
import { PartnerdError } from '../errors.js';
import { asLedgerError, databaseAddress, isDatabaseUnavailable, type Database, type Queryable } from './database.js';
import { FINAL_STATES_SQL, LIVE_STATES, LIVE_STATES_SQL, ORDER_STATES, type AttemptClass, type AttemptRecord, type OrderState } from './order-state.js';

/**
 * The durable record of every order key, in PostgreSQL (migrations/): the exactly-once guard,
 * the attempt history, the operator actions and the outcome BRP gave. BullMQ only carries the
 * key of an order that is due; whether BRP may be called is decided here, by one guarded
 * statement per state change, so two workers or processes can never both open an attempt or both
 * record an outcome for the same key.
 *
 *   orders          one row per key: state, ids, BRP's numbers, money, the payload while needed
 *   portal_orders   (portal, portal order id) → key: one record per portal order
 *   attempts        every BRP call, opened (committed) before the request leaves
 *   order_actions   operator and daemon actions (the audit trail)
 *   notifications   the outbox of outcomes Wellnet and Epassi must be told
 *   pull_cursors    where each pull portal's reading stands
 *   privacy_actions retention runs and erasure requests (ledger/personal-data.ts)
 *   ledger_settings values every process must agree on (the erasure key's fingerprint)
 *
 * Unroutable orders (no tenant yet) live under the key `~:{portal}:{ordernr}`.
 */

/** The tenant part of the key of an order that could not be routed to a tenant. */
export const UNROUTED_TENANT = '~';

/** Portals that are told each final outcome by the daemon (the others ask, or read receipts). */
export const DEFAULT_NOTIFY_PORTALS: readonly Portal[] = ['wellnet', 'epassi'];

/** What BRP's answer left us with (all optional). */
export interface OrderOutcome {
  brpOrderNumber?: string;
  invoiceNumber?: string;
  ocr?: string;
  sumOre?: number;
  sumExVatOre?: number;
  vatSums?: Array<{ ratePercent: number; amountOre: number }>;
  invoiceTotalOre?: number;
  invoiceDate?: string;
  dueDate?: string;
  brpCreatedAt?: string;
  /** BRP's <errors> (rejected), or a short transient/in-doubt reason. */
  brpError?: { status?: number; errors: Array<{ message: string; code?: number; debugInfo?: string }> };
  lastError?: string;
  /** An unparseable 2xx: BRP created something we could not read. */
  review?: string;
  rawResponse?: string;
  /** A re-routed unroutable order: the key it continues under. */
  routedTo?: string;
  unroutableReason?: string;
}

export interface LedgerRecord extends Omit<OrderOutcome, 'unroutableReason'>, OrderKey {
  key: string;
  state: OrderState;
  receivedAt: string;
  updatedAt: string;
  /** When it reached the outcome it rests in (confirmed, rejected, unroutable). */
  finalAt?: string;
  confirmedAt?: string;
  attempts: number;
  openAttemptAt?: string;
  /** Digest of the schema and the exact document validated at intake (see OrderDocumentFactory). */
  xmlProof?: string;
  /** The canonical order, kept until the order is confirmed (then dropped: data minimisation). */
  payload?: CanonicalOrder;
  /** Unroutable orders: the portal order as the adapter produced it, and why it could not be routed. */
  portalOrder?: unknown;
  unroutableReason?: string;
  /** `partnerd` when the order was refused before reaching BRP (invalid), absent for BRP's own rejections. */
  rejectedBy?: string;
  /** The employer (not personal data, except a sole trader's number: see organisationSoleTrader). */
  organisationNumber?: string;
  organisationName?: string;
  /** The organisation number is its owner's personnummer (enskild firma): show it masked. */
  organisationSoleTrader?: boolean;
  businessUnit?: string;
  /** The order total incl. VAT as the portal sent it (öre); kept for the record's life. */
  orderTotalOre?: number;
  /** When retention or an erasure removed the order's personal fields. */
  personalDataRemovedAt?: string;
  /** Portal notification bookkeeping (wellnet, epassi). */
  notifiedAt?: string;
  notifyAttempts?: number;
  notifyLastError?: string;
}

/** An entry of an order's history: a BRP call, or an action on the order. */
export type HistoryEntry =
  | (Omit<AttemptRecord, 'class'> & { kind: 'attempt'; /** `open` while the call may still be in flight. */ class: AttemptClass | 'open' })
  | { kind: 'action'; at: string; actor: string; action: string; fromState?: string; toState?: string; reason?: string; detail?: string };

/** Who moved an order and why (the audit trail). */
export interface ActionNote {
  detail: string;
  /** `partnerd` for the daemon's own moves; the operator otherwise. */
  actor?: string;
  /** A short verb (`requeue`, `resolve`, `reroute`, …); defaults to the target state. */
  action?: string;
  reason?: string;
}

export type RegisterResult = { created: true; state: OrderState } | { created: false; state: OrderState | 'missing'; existingKey: string };
export type BeginResult =
  | {
      kind: 'started';
      attempt: number;
      startedAt: string;
      xmlProof?: string;
      xml?: string;
      /** The stored canonical order (parsed on demand: the worker needs it only to rebuild the document). */
      payload(): CanonicalOrder | undefined;
    }
  | { kind: 'open'; openedAt: string; attempt: number }
  | { kind: 'done'; state: OrderState | 'missing' };

/** Which orders an operator means: listings, counts and bulk actions share it. */
export interface OrderSelection {
  states?: readonly OrderState[];
  /**
   * Also (OR) the confirmed orders under review that still lack BRP's numbers (an unreadable 2xx):
   * with `states` the needs-attention view, alone only those.
   */
  review?: boolean;
  tenant?: string;
  portal?: Portal;
  /** Last change in [since, until). */
  since?: Date;
  until?: Date;
  /** Exactly this key, order number, BRP order number, invoice number or OCR. */
  text?: string;
}

export interface ListFilter extends OrderSelection {
  limit?: number;
  /** Keyset pagination: rows strictly after this one in the listing order (newest change first). */
  after?: { updatedAt: string; key: string };
}

/**
 * Each tenant's oldest live order, as the CTE `oldest` (tenant, received_at, key, state): one
 * descent of `orders_live` (tenant, received_at, key) per tenant, skipping from one tenant to the
 * next, so its cost does not grow with the backlog (a GROUP BY over the live orders read all of
 * them, 100,000 in a long outage, on every /metrics scrape of every replica).
 */
const OLDEST_LIVE_PER_TENANT = `WITH RECURSIVE oldest AS (
    (SELECT tenant, received_at, key, state FROM orders WHERE state IN ${LIVE_STATES_SQL} ORDER BY tenant, received_at, key LIMIT 1)
    UNION ALL
    SELECT next.* FROM oldest, LATERAL (
      SELECT tenant, received_at, key, state FROM orders
       WHERE state IN ${LIVE_STATES_SQL} AND tenant > oldest.tenant ORDER BY tenant, received_at, key LIMIT 1) next
  )`;

/** What is kept of an order for its whole life besides BRP's numbers: the employer and the total as sent. */
const FINANCE_COLUMNS = `o.organisation_number, o.organisation_name, o.organisation_sole_trader, o.business_unit, o.order_total_ore,
  o.personal_data_removed_at`;

/** The columns that make up an order's record (the document `xml` is read only by the worker). */
const RECORD_COLUMNS = `o.key, o.tenant, o.portal, o.ordernr, o.state, o.received_at, o.updated_at, o.final_at, o.confirmed_at,
  o.attempts, o.open_attempt_at, o.xml_proof, o.payload, o.portal_order, o.unroutable_reason, o.routed_to, o.rejected_by,
  o.brp_order_number, o.brp_created_at, o.invoice_number, o.ocr, o.invoice_date, o.due_date, o.sum_ore, o.sum_ex_vat_ore,
  o.invoice_total_ore, o.vat_sums, o.brp_error, o.last_error, o.review, o.raw_response, ${FINANCE_COLUMNS}`;

/** What a listing needs: no payload, no portal order, no raw response. */
const SUMMARY_COLUMNS = `o.key, o.tenant, o.portal, o.ordernr, o.state, o.received_at, o.updated_at, o.final_at, o.confirmed_at,
  o.attempts, o.unroutable_reason, o.routed_to, o.rejected_by, o.brp_order_number, o.invoice_number, o.ocr, o.invoice_date,
  o.due_date, o.sum_ore, o.sum_ex_vat_ore, o.invoice_total_ore, o.vat_sums, o.brp_error, o.last_error, o.review, ${FINANCE_COLUMNS}`;

/** Outcome field → column. Only these can be written through an outcome (no SQL from data). */
const OUTCOME_COLUMNS: Record<keyof OrderOutcome, { column: string; json?: true }> = {
  brpOrderNumber: { column: 'brp_order_number' },
  invoiceNumber: { column: 'invoice_number' },
  ocr: { column: 'ocr' },
  sumOre: { column: 'sum_ore' },
  sumExVatOre: { column: 'sum_ex_vat_ore' },
  vatSums: { column: 'vat_sums', json: true },
  invoiceTotalOre: { column: 'invoice_total_ore' },
  invoiceDate: { column: 'invoice_date' },
  dueDate: { column: 'due_date' },
  brpCreatedAt: { column: 'brp_created_at' },
  brpError: { column: 'brp_error', json: true },
  lastError: { column: 'last_error' },
  review: { column: 'review' },
  rawResponse: { column: 'raw_response' },
  routedTo: { column: 'routed_to' },
  unroutableReason: { column: 'unroutable_reason' },
};

/**
 * SET clauses shared by every state change: the state, the time of the change, when the outcome
 * was reached (kept while it rests in it, cleared when it leaves), and the payload dropped once
 * it can no longer be sent. `$n` placeholders are filled by `stateChange`.
 */
function stateChangeSet(to: string, now: string, drop: string, fromState: string): string {
  return `state = ${to}, updated_at = ${now}, open_attempt_at = NULL,
    final_at = CASE WHEN ${to} IN ${FINAL_STATES_SQL} AND ${fromState} IS DISTINCT FROM ${to} THEN ${now}
                    WHEN ${to} IN ${FINAL_STATES_SQL} THEN o.final_at ELSE NULL END,
    confirmed_at = CASE WHEN ${to} = 'confirmed' AND ${fromState} IS DISTINCT FROM 'confirmed' THEN ${now} ELSE o.confirmed_at END,
    payload = CASE WHEN ${drop} THEN NULL ELSE o.payload END,
    xml = CASE WHEN ${drop} THEN NULL ELSE o.xml END,
    xml_proof = CASE WHEN ${drop} THEN NULL ELSE o.xml_proof END`;
}

/**
 * The outbox entry written with an outcome the portal must be told (confirmed, rejected): due at
 * once, and due again if the order reaches an outcome again after an operator re-queued it.
 */
function notifyCte(source: string, to: string, now: string, portals: string): string {
  return `INSERT INTO notifications (order_key, portal, due_at)
    SELECT key, portal, ${now} FROM ${source} WHERE ${to} IN ('confirmed', 'rejected') AND portal = ANY(${portals})
    ON CONFLICT (order_key) DO UPDATE SET due_at = EXCLUDED.due_at, notified_at = NULL, attempts = 0, last_error = NULL`;
}

/** Where the reconciler's walk over live orders stands: the last order of its previous batch. */
export interface LiveOrderCursor { tenant: string; receivedAt: string; key: string }

/**
 * The keyed hash of a personnummer (domain/person-hash.ts) stored with each order, so that an
 * erasure request can find the person's orders; undefined for a value that is not a personnummer.
 */
export type PersonHash = (personnummer: string, now: Date) => string | undefined;

export interface LedgerOptions {
  notifyPortals?: readonly Portal[];
  address?: string;
  pool?: Pick<Database, 'connect'>;
  /** Without it orders are registered without a person hash (tests of other concerns). */
  personHash?: PersonHash;
}

/**
 * Text from outside (a portal's order id, an operator's search) that no stored key or id can
 * equal: intake refuses characters XML 1.0 cannot carry at the door (field-rules.ts). Asking
 * anyway goes wrong: PostgreSQL refuses U+0000 and fails the whole statement (a "not found" would
 * become a store error), and a lone surrogate reaches it as U+FFFD, which could match another id.
 */
function unaskable(text: string): boolean {
  return findXmlIllegalChar(text) !== undefined;
}

export class Ledger {
  private readonly address: string;

  private readonly notifyPortals: string[];
  /** The pool transactions take a connection from; absent on a ledger that is one transaction. */
  private readonly pool: Pick<Database, 'connect'> | undefined;
  private readonly personHash: PersonHash | undefined;

  /** `db`: the pool (or, inside `transaction`, the one client that holds the transaction). */
  constructor(private readonly db: Queryable, options: LedgerOptions = {}) {
    this.notifyPortals = [...(options.notifyPortals ?? DEFAULT_NOTIFY_PORTALS)];
    this.address = options.address ?? 'the ledger database';
    this.pool = options.pool;
    this.personHash = options.personHash;
  }

  static fromDatabase(db: Database, url: string, notifyPortals?: readonly Portal[], options: Pick<LedgerOptions, 'personHash'> = {}): Ledger {
    return new Ledger(db, { address: databaseAddress(url), pool: db, ...(notifyPortals ? { notifyPortals } : {}), ...options });
  }

  private async q<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      // Named: each connection parses and plans a statement once, not once per order.
      return await this.db.query<R>({ name: statementName(sql), text: sql, values: params });
    } catch (err) {
      throw asLedgerError(err, this.address);
    }
  }

  /**
   * Runs `fn` in one transaction on one connection: everything it records commits together or
   * not at all (a Wellnet page's orders and its new cursor). Nested calls join the outer one.
   */
  async transaction<T>(fn: (tx: Ledger) => Promise<T>): Promise<T> {
    if (!this.pool) return fn(this);
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw asLedgerError(err, this.address);
    }
    const tx = new Ledger(client, { notifyPortals: this.notifyPortals as Portal[], address: this.address, ...(this.personHash ? { personHash: this.personHash } : {}) });
    let broken: unknown;
    try {
      await tx.q('BEGIN');
      const result = await fn(tx);
      await tx.q('COMMIT');
      return result;
    } catch (err) {
      broken = err;
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      // A connection that failed mid-transaction is not handed out again.
      client.release(broken !== undefined && isDatabaseUnavailable(broken));
    }
  }

  /**
   * Creates the record if neither the key nor the portal's order id is known yet; the order's
   * payload, its validated document and the XSD proof are stored with it, in one statement.
   */
  async register(
    order: CanonicalOrder,
    xmlProof = '',
    options: { replaceIndexFrom?: string; now?: Date; /** The validated document, kept until confirmed. */ xml?: string } = {},
  ): Promise<RegisterResult & { key: string }> {
    const now = options.now ?? new Date();
    const organisation = normaliseOrganisationsnummer(order.organization.number, now);
    return this.insert(formatOrderKey(order), order, 'queued', now, {
      payload: order, xml: options.xml, xmlProof: xmlProof || undefined, replaceIndexFrom: options.replaceIndexFrom,
      organisationNumber: order.organization.number, organisationName: order.organization.name,
      organisationSoleTrader: organisation.ok ? organisation.soleTrader : undefined, businessUnit: order.businessUnit,
      orderTotalOre: sumOre(order.items.map((i) => i.priceIncVatOre)), personHash: this.personHash?.(order.person.personnummer, now),
    });
  }

  /**
   * Keeps a portal order that routing could not place (unknown venue or article) under
   * `~:{portal}:{ordernr}`, with the reason, until the configuration is fixed and it is re-routed.
   */
  async registerUnroutable(portal: Portal, ordernr: string, portalOrder: unknown, reason: string, now = new Date()): Promise<RegisterResult & { key: string }> {
    const key = formatOrderKey({ tenant: UNROUTED_TENANT, portal, ordernr });
    // The portal order as read: its lines give the total as sent, its person the hash (raw values:
    // a personnummer that does not validate gets no hash; retention removes it in time).
    const read = portalOrder as { lines?: Array<{ priceIncVatOre?: unknown; quantity?: unknown }>; person?: { personnummer?: unknown } } | null;
    const lines = Array.isArray(read?.lines) ? read.lines : [];
    const personnummer = read?.person?.personnummer;
    return this.insert(key, { tenant: UNROUTED_TENANT, portal, ordernr }, 'unroutable', now, {
      portalOrder, unroutableReason: reason,
      orderTotalOre: lines.length > 0 ? sumOre(lines.map(lineAmountOre)) : undefined,
      personHash: typeof personnummer === 'string' && personnummer !== '' ? this.personHash?.(personnummer, now) : undefined,
    });
  }

  /**
   * A pull portal's order that failed validation: recorded as rejected (partnerd, not BRP, refused
   * it), so the portal is told like any other rejection and a redelivery is a duplicate.
   */
  async registerRejected(
    tenant: string,
    order: { portal: Portal; ordernr: string },
    errors: Array<{ path: string; message: string }>,
    now = new Date(),
  ): Promise<RegisterResult & { key: string }> {
    const key = formatOrderKey({ tenant, portal: order.portal, ordernr: order.ordernr });
    const brpError = { errors: errors.map((e) => ({ message: e.path ? `${e.path}: ${e.message}` : e.message })) };
    return this.insert(key, { tenant, portal: order.portal, ordernr: order.ordernr }, 'rejected', now, {
      portalOrder: { portal: order.portal, ordernr: order.ordernr }, brpError, rejectedBy: 'partnerd',
    });
  }

  /**
   * The exactly-once guard. The portal's order id is claimed in the same statement that creates
   * the record, so the same portal order can never become two records, whatever tenant routing
   * says; the unique key (tenant, portal, ordernr) refuses a second record for the same key.
   * `replaceIndexFrom` lets a re-routed unroutable order hand its portal order id on.
   */
  private async insert(
    key: string,
    id: OrderKey,
    state: OrderState,
    now: Date,
    fields: {
      payload?: unknown; xml?: string; xmlProof?: string; portalOrder?: unknown; unroutableReason?: string;
      brpError?: OrderOutcome['brpError']; rejectedBy?: string; replaceIndexFrom?: string;
      organisationNumber?: string; organisationName?: string; organisationSoleTrader?: boolean; businessUnit?: string;
      orderTotalOre?: number; personHash?: string;
    },
  ): Promise<RegisterResult & { key: string }> {
    const params = [
      key, id.tenant, id.portal, id.ordernr, state, now,
      fields.payload === undefined ? null : JSON.stringify(fields.payload),
      fields.xml ?? null, fields.xmlProof ?? null,
      fields.portalOrder === undefined ? null : JSON.stringify(fields.portalOrder),
      fields.unroutableReason ?? null,
      fields.brpError === undefined ? null : JSON.stringify(fields.brpError),
      fields.rejectedBy ?? null, fields.replaceIndexFrom ?? null, this.notifyPortals,
      fields.organisationNumber ?? null, fields.organisationName ?? null, fields.organisationSoleTrader ?? null,
      fields.businessUnit ?? null, fields.orderTotalOre ?? null, fields.personHash ?? null,
    ];
    const r = await this.q<{ status: 'created' | 'duplicate'; key: string; state: OrderState | null }>(
      `WITH claim AS (
         INSERT INTO portal_orders AS po (portal, portal_order_id, order_key) VALUES ($3, $4, $1)
         ON CONFLICT (portal, portal_order_id) DO UPDATE SET order_key = EXCLUDED.order_key WHERE po.order_key = $14
         RETURNING order_key
       ), created AS (
         INSERT INTO orders (key, tenant, portal, ordernr, state, received_at, updated_at, final_at, payload, xml, xml_proof,
                             portal_order, unroutable_reason, brp_error, rejected_by, organisation_number, organisation_name,
                             organisation_sole_trader, business_unit, order_total_ore, person_hash)
         SELECT $1, $2, $3, $4, $5, $6, $6, CASE WHEN $5 IN ${FINAL_STATES_SQL} THEN $6::timestamptz END,
                $7::jsonb, $8, $9, $10::jsonb, $11, $12::jsonb, $13, $16, $17, $18, $19, $20, $21
         WHERE EXISTS (SELECT 1 FROM claim)
         ON CONFLICT DO NOTHING
         RETURNING key, portal, state
       ), notify AS (${notifyCte('created', '$5', '$6::timestamptz', '$15')})
       SELECT 'created' AS status, key, state FROM created
       UNION ALL
       SELECT 'duplicate', po.order_key, o.state FROM portal_orders po LEFT JOIN orders o ON o.key = po.order_key
        WHERE po.portal = $3 AND po.portal_order_id = $4 AND NOT EXISTS (SELECT 1 FROM created)`,
      params,
    );
    const row = r.rows[0];
    if (row?.status === 'created') return { key, created: true, state: row.state as OrderState };
    if (row) return { key, created: false, state: row.state ?? 'missing', existingKey: row.key };
    // The record that made this a duplicate committed while the statement ran (its snapshot
    // predates it): look again, now that it is visible.
    const again = await this.q<{ key: string; state: OrderState | null }>(
      `SELECT COALESCE(po.order_key, o.key) AS key, COALESCE(o2.state, o.state) AS state
         FROM (SELECT 1) one
         LEFT JOIN portal_orders po ON po.portal = $2 AND po.portal_order_id = $3
         LEFT JOIN orders o2 ON o2.key = po.order_key
         LEFT JOIN orders o ON o.key = $1`,
      [key, id.portal, id.ordernr],
    );
    const seen = again.rows[0];
    return { key, created: false, state: seen?.state ?? 'missing', existingKey: seen?.key ?? key };
  }

  /** The key the portal's order id was recorded under, if any. */
  async keyForPortalOrder(portal: Portal, ordernr: string): Promise<string | undefined> {
    if (unaskable(ordernr)) return undefined;
    const r = await this.q<{ order_key: string }>('SELECT order_key FROM portal_orders WHERE portal = $1 AND portal_order_id = $2', [portal, ordernr]);
    return r.rows[0]?.order_key;
  }

  /**
   * Opens an attempt before the HTTP call, committed before the request leaves, so a crash
   * mid-call is visible to whoever runs the job next. One statement: it opens the attempt only
   * from a state that may be sent (queued, retrying), and otherwise says what the order is.
   */
  async beginAttempt(key: string, now = new Date()): Promise<BeginResult> {
    for (let tries = 0; ; tries++) {
      const r = await this.q<{ kind: string; attempts: number; xml_proof: string | null; xml: string | null; payload: string | null; state: OrderState | null; opened_at: Date | null }>(
        `WITH s AS (
           UPDATE orders SET state = 'submitting', attempts = attempts + 1, open_attempt_at = $2, updated_at = $2
            WHERE key = $1 AND state IN ('queued', 'retrying')
           RETURNING key, attempts, xml_proof, xml, payload::text AS payload
         ), a AS (
           INSERT INTO attempts (order_key, n, started_at) SELECT key, attempts, $2 FROM s
         )
         SELECT 'started' AS kind, attempts, xml_proof, xml, payload, NULL::text AS state, NULL::timestamptz AS opened_at FROM s
         UNION ALL
         SELECT 'other', attempts, NULL, NULL, NULL, state, open_attempt_at FROM orders WHERE key = $1 AND NOT EXISTS (SELECT 1 FROM s)`,
        [key, now],
      );
      const row = r.rows[0];
      if (!row) return { kind: 'done', state: 'missing' };
      if (row.kind === 'started') {
        const text = row.payload;
        let parsed: CanonicalOrder | undefined;
        return {
          kind: 'started', attempt: row.attempts, startedAt: now.toISOString(), xmlProof: row.xml_proof ?? undefined, xml: row.xml ?? undefined,
          payload: () => (parsed ??= text ? (JSON.parse(text) as CanonicalOrder) : undefined),
        };
      }
      if (row.state === 'submitting') return { kind: 'open', openedAt: row.opened_at?.toISOString() ?? '', attempt: row.attempts };
      // Seen as sendable but not opened: another statement changed it while this one ran. Look again.
      if ((row.state === 'queued' || row.state === 'retrying') && tries < 3) continue;
      return { kind: 'done', state: row.state ?? 'missing' };
    }
  }

  /**
   * Closes the open attempt with its outcome and moves the order to `next`, in one statement
   * (with the portal's outbox entry when the portal must be told). Returns false when attempt
   * `attempt.n` is not the open one (another process finished it first, or declared it
   * interrupted and opened the next: a late answer must not close a newer attempt), in which case
   * nothing was written.
   */
  async finishAttempt(
    key: string,
    next: OrderState,
    attempt: AttemptRecord,
    outcome: OrderOutcome = {},
    options: { dropPayload?: boolean; now?: Date } = {},
  ): Promise<boolean> {
    const now = options.now ?? new Date();
    const params: unknown[] = [
      key, next, now, options.dropPayload ?? false, this.notifyPortals,
      attempt.endedAt ?? now.toISOString(), attempt.class, attempt.httpStatus ?? null, attempt.durationMs ?? null, attempt.detail ?? null,
      attempt.n,
    ];
    const sets = outcomeSets(outcome, params);
    const r = await this.q<{ n: number }>(
      `WITH o AS (
         UPDATE orders o SET ${stateChangeSet('$2', '$3', '$4', "'submitting'")}${sets}
          WHERE o.key = $1 AND o.state = 'submitting' AND o.attempts = $11
         RETURNING o.key, o.portal, o.attempts
       ), a AS (
         UPDATE attempts SET ended_at = $6, class = $7, http_status = $8, duration_ms = $9, detail = $10
           FROM o WHERE attempts.order_key = o.key AND attempts.n = o.attempts
       ), notify AS (${notifyCte('o', '$2', '$3::timestamptz', '$5')})
       SELECT count(*)::int AS n FROM o`,
      params,
    );
    return (r.rows[0]?.n ?? 0) > 0;
  }

  /**
   * Moves a resting order (operator action, re-routing), guarded by its current state, and
   * records the action in the audit trail in the same statement. Throws PD_ILLEGAL_TRANSITION
   * naming the current state. Returns the state it left.
   */
  async transition(
    key: string,
    from: readonly OrderState[],
    to: OrderState,
    note?: ActionNote,
    fields: OrderOutcome = {},
    options: { dropPayload?: boolean; dropPortalOrder?: boolean; now?: Date } = {},
  ): Promise<OrderState> {
    const now = options.now ?? new Date();
    const params: unknown[] = [
      key, to, now, options.dropPayload ?? false, this.notifyPortals, [...from], options.dropPortalOrder ?? false,
      note ? 1 : 0, note?.actor ?? 'partnerd', note?.action ?? to, note?.reason ?? null, note?.detail ?? null,
    ];
    const sets = outcomeSets(fields, params);
    const r = await this.q<{ from_state: OrderState | null; current: OrderState | null; sendable: boolean | null }>(
      `WITH cur AS (
         SELECT key, state, payload IS NOT NULL AS sendable FROM orders WHERE key = $1 FOR UPDATE
       ), o AS (
         UPDATE orders o SET ${stateChangeSet('$2', '$3', '$4', 'cur.state')},
                portal_order = CASE WHEN $7 THEN NULL ELSE o.portal_order END${sets}
           FROM cur WHERE o.key = cur.key AND cur.state = ANY($6::text[])
            -- Never live without the order to send (its personal data removed by retention or erasure).
            AND (cur.sendable OR $2 NOT IN ${LIVE_STATES_SQL})
         RETURNING o.key, o.portal, cur.state AS from_state
       ), act AS (
         INSERT INTO order_actions (order_key, at, actor, action, from_state, to_state, reason, detail)
         SELECT key, $3, $9, $10, from_state, $2, $11, $12 FROM o WHERE $8 = 1
       ), notify AS (${notifyCte('o', '$2', '$3::timestamptz', '$5')})
       SELECT (SELECT from_state FROM o) AS from_state, (SELECT state FROM cur) AS current, (SELECT sendable FROM cur) AS sendable`,
      params,
    );
    const row = r.rows[0];
    if (row?.from_state) return row.from_state;
    if (!row?.current) throw new PartnerdError('PD_UNKNOWN_ORDER', key);
    if (from.includes(row.current) && row.sendable === false && LIVE_STATES.includes(to)) {
      throw new PartnerdError('PD_ILLEGAL_TRANSITION', `${key} has no stored order to send (its personal data was removed)`, { state: row.current });
    }
    throw new PartnerdError('PD_ILLEGAL_TRANSITION', `${key} is ${row.current}, not ${from.join('/')}`, { state: row.current });
  }

  /** Records an action that does not change the state (e.g. an order the reconciler re-queued). */
  async recordAction(key: string, note: ActionNote & { state?: OrderState }, now = new Date()): Promise<void> {
    await this.q(
      `INSERT INTO order_actions (order_key, at, actor, action, from_state, to_state, reason, detail) VALUES ($1, $2, $3, $4, $5, $5, $6, $7)`,
      [key, now, note.actor ?? 'partnerd', note.action ?? 'note', note.state ?? null, note.reason ?? null, note.detail],
    );
  }

  async get(key: string): Promise<LedgerRecord | undefined> {
    if (unaskable(key)) return undefined;
    const r = await this.q(
      `SELECT ${RECORD_COLUMNS}, n.notified_at, n.attempts AS notify_attempts, n.last_error AS notify_last_error
         FROM orders o LEFT JOIN notifications n ON n.order_key = o.key WHERE o.key = $1`,
      [key],
    );
    return r.rows[0] ? toRecord(r.rows[0]) : undefined;
  }

  /** The order's BRP calls, oldest first; one still open has class `open`. */
  async attempts(key: string): Promise<Array<Extract<HistoryEntry, { kind: 'attempt' }>>> {
    return (await this.history(key)).filter((e): e is Extract<HistoryEntry, { kind: 'attempt' }> => e.kind === 'attempt');
  }

  /** The order's history, oldest first: BRP calls and actions on it. */
  async history(key: string): Promise<HistoryEntry[]> {
    const [attempts, actions] = await Promise.all([
      this.q('SELECT n, started_at, ended_at, class, http_status, duration_ms, detail FROM attempts WHERE order_key = $1 ORDER BY n', [key]),
      this.q('SELECT at, actor, action, from_state, to_state, reason, detail FROM order_actions WHERE order_key = $1 ORDER BY at, id', [key]),
    ]);
    const entries: Array<HistoryEntry & { sortAt: string }> = [
      ...attempts.rows.map((a) => ({
        kind: 'attempt' as const, sortAt: iso(a.started_at)!, n: a.n, startedAt: iso(a.started_at)!,
        ...opt('endedAt', iso(a.ended_at)), class: (a.class ?? 'open') as AttemptClass | 'open',
        ...opt('httpStatus', a.http_status ?? undefined), ...opt('durationMs', a.duration_ms ?? undefined), ...opt('detail', a.detail ?? undefined),
      })),
      ...actions.rows.map((a) => ({
        kind: 'action' as const, sortAt: iso(a.at)!, at: iso(a.at)!, actor: a.actor, action: a.action,
        ...opt('fromState', a.from_state ?? undefined), ...opt('toState', a.to_state ?? undefined),
        ...opt('reason', a.reason ?? undefined), ...opt('detail', a.detail ?? undefined),
      })),
    ];
    entries.sort((a, b) => a.sortAt.localeCompare(b.sortAt));
    return entries.map(({ sortAt: _sortAt, ...e }) => e as HistoryEntry);
  }

  /** Orders newest change first (ties by key), filtered; keyset-paginated with `after` (see pageSql). */
  async list(filter: ListFilter = {}): Promise<LedgerRecord[]> {
    const params: unknown[] = [];
    const r = await this.q(pageSql(filter, SUMMARY_COLUMNS, [], params), params);
    return r.rows.map(toRecord);
  }



  /** Orders whose order number, BRP order number, invoice number, OCR or key is exactly `text`. */
  async find(text: string, limit = 50): Promise<LedgerRecord[]> {
    if (unaskable(text)) return [];
    const r = await this.q(
      `SELECT ${SUMMARY_COLUMNS} FROM orders o
        WHERE o.key = $1 OR o.ordernr = $1 OR o.brp_order_number = $1 OR o.invoice_number = $1 OR o.ocr = $1
        ORDER BY o.updated_at DESC, o.key DESC LIMIT $2`,
      [text, limit],
    );
    return r.rows.map(toRecord);
  }

  /**
   * What a bulk re-queue of `selection` would do, changing nothing: how many orders it would send
   * again, how many match but have no stored order to send (refused by partnerd before BRP: they
   * need `amend`), and the first keys in listing order.
   */
  async previewRequeue(selection: OrderSelection, firstKeys = 20): Promise<{ count: number; withoutPayload: number; firstKeys: string[] }> {
    const params: unknown[] = [];
    const p = (v: unknown) => `$${params.push(v)}`;
    const where = selectionWhere(selection, p);
    const cond = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const counts = await this.q<{ n: number; bare: number }>(
      `SELECT count(*) FILTER (WHERE o.payload IS NOT NULL)::int AS n, count(*) FILTER (WHERE o.payload IS NULL)::int AS bare FROM orders o ${cond}`,
      params,
    );
    const keyParams: unknown[] = [];
    const keys = await this.q<{ key: string }>(pageSql({ ...selection, limit: firstKeys }, 'o.key, o.updated_at', ['o.payload IS NOT NULL'], keyParams), keyParams);
    return { count: counts.rows[0]?.n ?? 0, withoutPayload: counts.rows[0]?.bare ?? 0, firstKeys: keys.rows.map((r) => r.key) };
  }

  /**
   * One batch of a bulk re-queue: up to `limit` orders of `selection` that have a stored order to
   * send and were last changed before `changedBefore` (the moment the bulk action began, so an
   * order that fails again meanwhile is not picked twice) move to `queued`, each with its audit
   * row, in one statement: the state guard and the audit commit together. The caller adds the
   * jobs once this returns (committed). Only `states` may be left; the caller decides which are
   * safe (confirmed never is).
   */
  async requeueBatch(
    selection: OrderSelection & { states: readonly OrderState[] },
    options: { limit: number; changedBefore: Date; note: ActionNote; now?: Date },
  ): Promise<Array<{ key: string; tenant: string; portal: Portal; ordernr: string; fromState: OrderState }>> {
    const now = options.now ?? new Date();
    const params: unknown[] = [];
    const p = (v: unknown) => `$${params.push(v)}`;
    const where = selectionWhere({ ...selection, review: false }, p);
    const to = p('queued');
    const at = p(now);
    const notify = p(this.notifyPortals);
    const r = await this.q<{ key: string; tenant: string; portal: Portal; ordernr: string; from_state: OrderState }>(
      `WITH cur AS (
         SELECT o.key, o.state FROM orders o
          WHERE ${where.join(' AND ')} AND o.payload IS NOT NULL AND o.updated_at < ${p(options.changedBefore)}
          LIMIT ${p(options.limit)} FOR UPDATE
       ), o AS (
         UPDATE orders o SET ${stateChangeSet(to, at, 'false', 'cur.state')}
           FROM cur WHERE o.key = cur.key
         RETURNING o.key, o.tenant, o.portal, o.ordernr, cur.state AS from_state
       ), act AS (
         INSERT INTO order_actions (order_key, at, actor, action, from_state, to_state, reason, detail)
         SELECT key, ${at}, ${p(options.note.actor ?? 'operator')}, ${p(options.note.action ?? 'requeue')}, from_state, ${to},
                ${p(options.note.reason ?? null)}, ${p(options.note.detail)} FROM o
       ), notify AS (${notifyCte('o', to, `${at}::timestamptz`, notify)})
       SELECT key, tenant, portal, ordernr, from_state FROM o`,
      params,
    );
    return r.rows.map((row) => ({ key: row.key, tenant: row.tenant, portal: row.portal, ordernr: row.ordernr, fromState: row.from_state }));
  }

  /**
   * Replaces the canonical order of a resting order (an operator's correction) with one that
   * passed intake's validation and XSD proof, and queues it, in one statement guarded by the
   * current state; the audit row says what changed (field paths, never values). Returns the
   * state it left.
   */
  async replacePayload(
    key: string,
    from: readonly OrderState[],
    order: CanonicalOrder,
    proven: { proof: string; xml: string },
    note: ActionNote,
    now = new Date(),
  ): Promise<OrderState> {
    const r = await this.q<{ from_state: OrderState | null; current: OrderState | null }>(
      `WITH cur AS (
         SELECT key, state FROM orders WHERE key = $1 FOR UPDATE
       ), o AS (
         UPDATE orders o SET state = 'queued', updated_at = $2, open_attempt_at = NULL, final_at = NULL,
                payload = $4::jsonb, xml = $5, xml_proof = $6, rejected_by = NULL
           FROM cur WHERE o.key = cur.key AND cur.state = ANY($3::text[])
         RETURNING o.key, cur.state AS from_state
       ), act AS (
         INSERT INTO order_actions (order_key, at, actor, action, from_state, to_state, reason, detail)
         SELECT key, $2, $7, $8, from_state, 'queued', $9, $10 FROM o
       )
       SELECT (SELECT from_state FROM o) AS from_state, (SELECT state FROM cur) AS current`,
      [key, now, [...from], JSON.stringify(order), proven.xml, proven.proof, note.actor ?? 'operator', note.action ?? 'amend', note.reason ?? null, note.detail],
    );
    const row = r.rows[0];
    if (row?.from_state) return row.from_state;
    if (!row?.current) throw new PartnerdError('PD_UNKNOWN_ORDER', key);
    throw new PartnerdError('PD_ILLEGAL_TRANSITION', `${key} is ${row.current}, not ${from.join('/')}`, { state: row.current });
  }

  /** An operator action on no single order (a tenant or portal resumed): the audit trail's other table. */
  async recordOperatorAction(entry: { actor: string; action: string; subject: string; fromState?: string; toState?: string; reason?: string; detail?: string }, now = new Date()): Promise<void> {
    await this.q(
      'INSERT INTO operator_actions (at, actor, action, subject, from_state, to_state, reason, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [now, entry.actor, entry.action, entry.subject, entry.fromState ?? null, entry.toState ?? null, entry.reason ?? null, entry.detail ?? null],
    );
  }

  /** The latest operator actions of both kinds (on orders and on tenants/portals), newest first. */
  async recentActions(limit = 20): Promise<Array<{ at: string; actor: string; action: string; subject: string; fromState?: string; toState?: string; reason?: string; detail?: string }>> {
    const r = await this.q<{ at: Date; actor: string; action: string; subject: string; from_state: string | null; to_state: string | null; reason: string | null; detail: string | null }>(
      `(SELECT at, actor, action, order_key AS subject, from_state, to_state, reason, detail FROM order_actions WHERE actor <> 'partnerd' ORDER BY at DESC LIMIT $1)
       UNION ALL
       (SELECT at, actor, action, subject, from_state, to_state, reason, detail FROM operator_actions ORDER BY at DESC LIMIT $1)
       ORDER BY at DESC LIMIT $1`,
      [limit],
    );
    return r.rows.map((a) => ({
      at: iso(a.at)!, actor: a.actor, action: a.action, subject: a.subject,
      ...opt('fromState', a.from_state ?? undefined), ...opt('toState', a.to_state ?? undefined),
      ...opt('reason', a.reason ?? undefined), ...opt('detail', a.detail ?? undefined),
    }));
  }

  /**
   * Orders per tenant, portal and state (the console's overview), of `states` only when given:
   * the states that need an operator or are still moving are a small share of a big ledger and
   * are counted through the state index; counting every confirmed order reads the whole table.
   */
  async countByTenantPortalState(states?: readonly OrderState[]): Promise<Array<{ tenant: string; portal: string; state: OrderState; count: number }>> {
    const r = await this.q<{ tenant: string; portal: string; state: OrderState; n: number }>(
      `SELECT tenant, portal, state, count(*)::int AS n FROM orders ${states ? 'WHERE state = ANY($1::text[])' : ''}
        GROUP BY tenant, portal, state ORDER BY tenant, portal, state`,
      states ? [[...states]] : [],
    );
    return r.rows.map((row) => ({ tenant: row.tenant, portal: row.portal, state: row.state, count: row.n }));
  }

  /** The order that has waited longest to reach BRP (queued, retrying, submitting), if any. */
  async oldestWaiting(): Promise<{ key: string; state: OrderState; receivedAt: string } | undefined> {
    const r = await this.q<{ key: string; state: OrderState; received_at: Date }>(
      `${OLDEST_LIVE_PER_TENANT} SELECT key, state, received_at FROM oldest ORDER BY received_at, key LIMIT 1`,
    );
    const row = r.rows[0];
    return row ? { key: row.key, state: row.state, receivedAt: iso(row.received_at)! } : undefined;
  }

  async countByState(): Promise<Record<OrderState, number>> {
    const r = await this.q<{ state: OrderState; n: number }>('SELECT state, count(*)::int AS n FROM orders GROUP BY state');
    const out = Object.fromEntries(ORDER_STATES.map((s) => [s, 0])) as Record<OrderState, number>;
    for (const row of r.rows) out[row.state] = row.n;
    return out;
  }

  /** Per tenant, when the oldest order still waiting to reach BRP (queued, retrying, submitting) arrived. */
  async oldestWaitingByTenant(): Promise<Array<{ tenant: string; receivedAt: Date }>> {
    const r = await this.q<{ tenant: string; received_at: Date }>(`${OLDEST_LIVE_PER_TENANT} SELECT tenant, received_at FROM oldest`);
    return r.rows.map((row) => ({ tenant: row.tenant, receivedAt: row.received_at }));
  }

  /**
   * Live orders (queued, retrying, submitting) unchanged since `olderThan`, oldest first per
   * tenant, after `after` (the previous batch's last `cursor`): the reconciler's batches, read off
   * the live-only index. Only keys and tenants: the job carries nothing else. The cursor keeps
   * received_at as PostgreSQL's text, so a stored microsecond is not lost in a JS Date.
   */
  async liveOrders(options: { after?: LiveOrderCursor; olderThan: Date; limit: number }): Promise<Array<{ key: string; tenant: string; state: OrderState; cursor: LiveOrderCursor }>> {
    const after = options.after ?? { tenant: '', receivedAt: '-infinity', key: '' };
    // The text form under another name: ORDER BY would otherwise sort by it, not by the timestamp.
    const r = await this.q<{ key: string; tenant: string; state: OrderState; received_at_text: string }>(
      `SELECT key, tenant, state, received_at::text AS received_at_text FROM orders
        WHERE state IN ${LIVE_STATES_SQL} AND (tenant, received_at, key) > ($1, $2::timestamptz, $3) AND updated_at < $4
        ORDER BY tenant, received_at, key LIMIT $5`,
      [after.tenant, after.receivedAt, after.key, options.olderThan, options.limit],
    );
    return r.rows.map((row) => ({ key: row.key, tenant: row.tenant, state: row.state, cursor: { tenant: row.tenant, receivedAt: row.received_at_text, key: row.key } }));
  }

  /** Which of these keys are live orders now: the reconciler's second look before it adds a job. */
  async liveKeys(keys: readonly string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const r = await this.q<{ key: string }>(`SELECT key FROM orders WHERE key = ANY($1::text[]) AND state IN ${LIVE_STATES_SQL}`, [[...keys]]);
    return new Set(r.rows.map((row) => row.key));
  }

  /** Records of `portal` that reached their outcome in [from, to), in the order they reached it. */
  async finalBetween(portal: Portal, from: Date, to: Date): Promise<LedgerRecord[]> {
    const r = await this.q(
      `SELECT ${RECORD_COLUMNS} FROM orders o WHERE o.portal = $1 AND o.final_at >= $2 AND o.final_at < $3 ORDER BY o.final_at, o.key`,
      [portal, from, to],
    );
    return r.rows.map(toRecord);
  }

  // ---- the notification outbox -------------------------------------------------------------

  /**
   * Portal notifications due now, each leased for `leaseMs` to the caller (its due time moves to
   * now + lease), so replicas do not send the same one at once; one that is not settled within
   * the lease is due again. Rows another replica is claiming are skipped, not waited for.
   */
  async claimDueNotifications(limit: number, leaseMs: number, now = new Date()): Promise<string[]> {
    const r = await this.q<{ order_key: string }>(
      `UPDATE notifications SET due_at = $2::timestamptz + make_interval(secs => $3::double precision / 1000)
        WHERE order_key IN (SELECT order_key FROM notifications WHERE notified_at IS NULL AND due_at <= $2
                             ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING order_key, due_at`,
      [limit, now, leaseMs],
    );
    return r.rows.map((row) => row.order_key);
  }

  /** The portal has the outcome (2xx, or 409 "already"). */
  async notificationDone(key: string, now = new Date()): Promise<void> {
    await this.q('UPDATE notifications SET notified_at = $2, last_error = NULL WHERE order_key = $1', [key, now]);
  }

  /** Not delivered: due again at `retryAt`. Never dropped. Returns the number of failures so far. */
  async notificationFailed(key: string, retryAt: Date, detail: string): Promise<number> {
    const r = await this.q<{ attempts: number }>(
      'UPDATE notifications SET due_at = $2, attempts = attempts + 1, last_error = $3 WHERE order_key = $1 RETURNING attempts',
      [key, retryAt, detail.slice(0, 300)],
    );
    return r.rows[0]?.attempts ?? 0;
  }

  async pendingNotifications(): Promise<number> {
    const r = await this.q<{ n: number }>('SELECT count(*)::int AS n FROM notifications WHERE notified_at IS NULL');
    return r.rows[0]?.n ?? 0;
  }

  async notifyBacklogByPortal(): Promise<Array<{ portal: string; count: number }>> {
    const r = await this.q<{ portal: string; n: number }>('SELECT portal, count(*)::int AS n FROM notifications WHERE notified_at IS NULL GROUP BY portal');
    return r.rows.map((row) => ({ portal: row.portal, count: row.n }));
  }

  // ---- pull cursors ------------------------------------------------------------------------

  async cursor(portal: Portal): Promise<string | undefined> {
    const r = await this.q<{ cursor: string }>('SELECT cursor FROM pull_cursors WHERE portal = $1', [portal]);
    return r.rows[0]?.cursor;
  }

  /** Saves where the portal's reading stands; inside a transaction, only with the page's orders. */
  async saveCursor(portal: Portal, cursor: string, now = new Date()): Promise<void> {
    await this.q(
      `INSERT INTO pull_cursors (portal, cursor, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (portal) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = EXCLUDED.updated_at`,
      [portal, cursor, now],
    );
  }

  async clearCursor(portal: Portal): Promise<void> {
    await this.q('DELETE FROM pull_cursors WHERE portal = $1', [portal]);
  }

  // ---- settings -----------------------------------------------------------------------------

  /**
   * The value stored under `name`, storing `value` first if there is none: the first process to
   * ask sets it, every later one learns what it was (to compare with its own).
   */
  async settleSetting(name: string, value: string): Promise<string> {
    const r = await this.q<{ value: string }>(
      `WITH ins AS (INSERT INTO ledger_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING value)
       SELECT value FROM ins UNION ALL SELECT value FROM ledger_settings WHERE name = $1 AND NOT EXISTS (SELECT 1 FROM ins)`,
      [name, value],
    );
    if (r.rows[0]) return r.rows[0].value;
    // Another process stored it while this statement ran (its snapshot predates that): read it now.
    const again = await this.q<{ value: string }>('SELECT value FROM ledger_settings WHERE name = $1', [name]);
    return again.rows[0]?.value ?? value;
  }

  /** A trivial round trip, bounded by the pool's connect timeout: is the ledger reachable? */
  async ping(): Promise<void> {
    await this.q('SELECT 1');
  }
}

const statementNames = new Map<string, string>();

/**
 * A prepared statement's name, from its text (statements whose SET list depends on the outcome
 * get one name per shape). A connection refuses one name for two texts, so the text decides.
 */
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = `pd_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
    statementNames.set(sql, name);
  }
  return name;
}

/** `, column = $n` for every outcome field that is set (values appended to `params`). */
function outcomeSets(outcome: OrderOutcome, params: unknown[]): string {
  let sets = '';
  for (const [field, value] of Object.entries(outcome) as Array<[keyof OrderOutcome, unknown]>) {
    if (value === undefined) continue;
    const col = OUTCOME_COLUMNS[field];
    if (!col) throw new PartnerdError('PD_ILLEGAL_TRANSITION', `not an outcome field: ${String(field)}`);
    params.push(col.json ? JSON.stringify(value) : value);
    sets += `, ${col.column} = $${params.length}${col.json ? '::jsonb' : ''}`;
  }
  return sets;
}

/**
 * One page of a listing, newest change first. Several states (the needs-attention view) are read
 * as one ordered index range per state (`state, updated_at DESC, key DESC`), merged and cut to the
 * page: the cost is the page size per state, wherever in time those orders are. A single
 * `state = ANY(…)` would be planned as a walk down the newest-first index filtering rows out,
 * fast only while the wanted orders are recent (after an outage weeks ago it reads most of the
 * table).
 */
export function pageSql(filter: ListFilter, columns: string, extra: string[], params: unknown[]): string {
  const p = (v: unknown) => `$${params.push(v)}`;
  const limit = p(Math.max(1, Math.min(filter.limit ?? 50, 10_000)));
  const after = filter.after ? `(o.updated_at, o.key) < (${p(filter.after.updatedAt)}::timestamptz, ${p(filter.after.key)})` : undefined;
  const { states, review, ...rest } = filter;
  const common = [...selectionWhere(rest, p), ...extra, ...(after ? [after] : [])];
  const branches: string[][] = [
    ...(states ?? []).map((state) => [`o.state = ${p(state)}`, ...common]),
    ...(review ? [[REVIEW_OPEN_SQL, ...common]] : []),
  ];
  const order = 'ORDER BY o.updated_at DESC, o.key DESC';
  const whereOf = (terms: string[]) => (terms.length ? `WHERE ${terms.join(' AND ')}` : '');
  if (branches.length <= 1) return `SELECT ${columns} FROM orders o ${whereOf(branches[0] ?? common)} ${order} LIMIT ${limit}`;
  return `SELECT * FROM (${branches.map((b) => `(SELECT ${columns} FROM orders o ${whereOf(b)} ${order} LIMIT ${limit})`).join(' UNION ALL ')}) o
    ${order} LIMIT ${limit}`;
}

/** Confirmed, but BRP's 2xx could not be read and its numbers are still missing (`orders_review_open`). */
const REVIEW_OPEN_SQL = `(o.state = 'confirmed' AND o.review IS NOT NULL AND o.brp_order_number IS NULL)`;

/** The WHERE terms of an operator's selection (values appended through `p`). */
function selectionWhere(sel: OrderSelection, p: (v: unknown) => string): string[] {
  const where: string[] = [];
  const review = REVIEW_OPEN_SQL;
  if (sel.states?.length && sel.review) where.push(`(o.state = ANY(${p([...sel.states])}::text[]) OR ${review})`);
  else if (sel.states?.length) where.push(`o.state = ANY(${p([...sel.states])}::text[])`);
  else if (sel.review) where.push(review);
  if (sel.tenant) where.push(`o.tenant = ${p(sel.tenant)}`);
  if (sel.portal) where.push(`o.portal = ${p(sel.portal)}`);
  if (sel.since) where.push(`o.updated_at >= ${p(sel.since)}`);
  if (sel.until) where.push(`o.updated_at < ${p(sel.until)}`);
  if (sel.text) {
    const t = p(sel.text);
    where.push(`(o.key = ${t} OR o.ordernr = ${t} OR o.brp_order_number = ${t} OR o.invoice_number = ${t} OR o.ocr = ${t})`);
  }
  return where;
}

function iso(v: unknown): string | undefined {
  return v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : undefined;
}

function opt<K extends string, V>(k: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [k]: v }) as { [P in K]?: V };
}

function toRecord(row: Record<string, unknown>): LedgerRecord {
  const s = (v: unknown) => (v === null || v === undefined ? undefined : (v as string));
  const rec: LedgerRecord = {
    key: row.key as string,
    tenant: row.tenant as string,
    portal: row.portal as Portal,
    ordernr: row.ordernr as string,
    state: row.state as OrderState,
    receivedAt: iso(row.received_at)!,
    updatedAt: iso(row.updated_at)!,
    attempts: (row.attempts as number | undefined) ?? 0,
  };
  const optional: Partial<LedgerRecord> = {
    finalAt: iso(row.final_at), confirmedAt: iso(row.confirmed_at), openAttemptAt: iso(row.open_attempt_at),
    xmlProof: s(row.xml_proof), payload: (row.payload ?? undefined) as CanonicalOrder | undefined, portalOrder: row.portal_order ?? undefined,
    unroutableReason: s(row.unroutable_reason), routedTo: s(row.routed_to), rejectedBy: s(row.rejected_by),
    brpOrderNumber: s(row.brp_order_number), brpCreatedAt: s(row.brp_created_at), invoiceNumber: s(row.invoice_number), ocr: s(row.ocr),
    invoiceDate: s(row.invoice_date), dueDate: s(row.due_date),
    sumOre: (row.sum_ore ?? undefined) as number | undefined, sumExVatOre: (row.sum_ex_vat_ore ?? undefined) as number | undefined,
    invoiceTotalOre: (row.invoice_total_ore ?? undefined) as number | undefined,
    vatSums: (row.vat_sums ?? undefined) as LedgerRecord['vatSums'], brpError: (row.brp_error ?? undefined) as LedgerRecord['brpError'],
    lastError: s(row.last_error), review: s(row.review), rawResponse: s(row.raw_response),
    notifiedAt: iso(row.notified_at), notifyAttempts: (row.notify_attempts ?? undefined) as number | undefined, notifyLastError: s(row.notify_last_error),
    organisationNumber: s(row.organisation_number), organisationName: s(row.organisation_name),
    organisationSoleTrader: (row.organisation_sole_trader ?? undefined) as boolean | undefined, businessUnit: s(row.business_unit),
    orderTotalOre: (row.order_total_ore ?? undefined) as number | undefined, personalDataRemovedAt: iso(row.personal_data_removed_at),
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) (rec as unknown as Record<string, unknown>)[k] = v;
  return rec;
}
