import type { Queryable } from './database.js';
import { asLedgerError } from './database.js';
import { LIVE_STATES_SQL, type OrderState } from './order-state.js';

/**
 * The ledger's side of data protection (docs/personal-data.md): removing the personal fields of
 * orders (retention, erasure), deleting records past the bookkeeping period, finding a person's
 * orders by the keyed hash, and the audit of it all. Every change is one guarded statement: an
 * order that is live (queued, retrying, submitting) is never touched, whatever happens between
 * the caller's look and the statement.
 *
 * Personal fields of an order row, and what removing them leaves:
 *   payload, xml, xml_proof   the canonical order and its document (name, personnummer, contact)  → NULL
 *   portal_order              an unroutable order as the portal sent it                           → NULL
 *   raw_response              a 2xx BRP sent that could not be read (it echoes the person)        → NULL
 *   person_hash               the keyed hash erasure requests find the person by                  → NULL
 *   brp_error.errors[].debugInfo  BRP's technical detail, which can quote the document           → removed
 * Kept: ids, state, BRP's numbers, money, VAT, dates, the employer, BRP's error messages and codes,
 * the attempt history and the audit trail.
 */

/** True when the row still holds a personal field (the `o` alias is the orders row). */
const HOLDS_PERSONAL_DATA = `(o.payload IS NOT NULL OR o.xml IS NOT NULL OR o.xml_proof IS NOT NULL OR o.portal_order IS NOT NULL
  OR o.raw_response IS NOT NULL OR o.person_hash IS NOT NULL OR coalesce(jsonb_path_exists(o.brp_error, '$.errors[*].debugInfo'), false))`;

/** BRP's error document without the debugInfo of each error. */
const BRP_ERROR_WITHOUT_DEBUG = `CASE WHEN jsonb_typeof(o.brp_error -> 'errors') = 'array' THEN jsonb_set(o.brp_error, '{errors}',
  (SELECT coalesce(jsonb_agg(e - 'debugInfo' ORDER BY i), '[]'::jsonb) FROM jsonb_array_elements(o.brp_error -> 'errors') WITH ORDINALITY AS t(e, i)))
  ELSE o.brp_error END`;

/** SET list removing every personal field; `$now` is the parameter holding the time. */
function removePersonalData(now: string, brpError = BRP_ERROR_WITHOUT_DEBUG): string {
  return `payload = NULL, xml = NULL, xml_proof = NULL, portal_order = NULL, raw_response = NULL, person_hash = NULL,
    brp_error = ${brpError}, personal_data_removed_at = ${now}`;
}

/** What erasure writes where a personnummer was found in free text. */
export const ERASED_TEXT = '[raderat]';

export interface RemovalCounts {
  /** Orders whose personal fields were removed (or, in a dry run, would be), by state. */
  byState: Partial<Record<OrderState, number>>;
  total: number;
}

export interface PersonOrder {
  key: string;
  state: OrderState;
  portal: string;
  ordernr: string;
}

export type ErasureOutcome =
  | { outcome: 'erased'; state: OrderState; /** false: nothing personal was left (retention had removed it). */ hadPersonalData: boolean }
  | { outcome: 'live'; state: OrderState }
  | { outcome: 'missing' };

export interface PrivacyAction {
  at: Date;
  actor: string;
  action: 'retention' | 'erasure';
  reason?: string;
  dryRun: boolean;
  summary: unknown;
}

export class PersonalDataStore {
  constructor(private readonly db: Queryable, private readonly address = 'the ledger database') {}

  private async q<R extends Record<string, unknown>>(sql: string, params: unknown[]): Promise<R[]> {
    try {
      return (await this.db.query<R>(sql, params)).rows;
    } catch (err) {
      throw asLedgerError(err, this.address);
    }
  }

  // ---- retention -----------------------------------------------------------------------------

  /** Resting orders whose last change is before `cutoff` and whose personal fields are still there. */
  async countExpiredPersonalData(cutoff: Date): Promise<RemovalCounts> {
    const rows = await this.q<{ state: OrderState; n: number }>(
      `SELECT o.state, count(*)::int AS n FROM orders o
        WHERE o.personal_data_removed_at IS NULL AND o.updated_at < $1 AND o.state NOT IN ${LIVE_STATES_SQL} AND ${HOLDS_PERSONAL_DATA}
        GROUP BY o.state`,
      [cutoff],
    );
    return counts(rows);
  }

  /**
   * Removes the personal fields of up to `limit` resting orders last changed before `cutoff`, and
   * writes an `order_actions` row (actor `retention`) for each that held any. Rows another
   * transaction holds are skipped (the next batch or run takes them). Returns what it removed and
   * how many rows it looked at (fewer than `limit`: nothing is left).
   */
  async removeExpiredPersonalData(cutoff: Date, limit: number, note: { now: Date; actor: string; detail: string }): Promise<RemovalCounts & { examined: number }> {
    const rows = await this.q<{ state: OrderState; had: boolean; n: number }>(
      `WITH v AS (
         SELECT o.key, o.state, ${HOLDS_PERSONAL_DATA} AS had FROM orders o
          WHERE o.personal_data_removed_at IS NULL AND o.updated_at < $1 AND o.state NOT IN ${LIVE_STATES_SQL}
          ORDER BY o.updated_at LIMIT $2 FOR UPDATE SKIP LOCKED
       ), s AS (
         UPDATE orders o SET ${removePersonalData('$3')}
           FROM v WHERE o.key = v.key AND o.state NOT IN ${LIVE_STATES_SQL}
         RETURNING o.key, v.state, v.had
       ), a AS (
         INSERT INTO order_actions (order_key, at, actor, action, from_state, to_state, detail)
         SELECT key, $3, $4, 'remove_personal_data', state, state, $5 FROM s WHERE had
       )
       SELECT state, had, count(*)::int AS n FROM s GROUP BY state, had`,
      [cutoff, limit, note.now, note.actor, note.detail],
    );
    const removed = counts(rows.filter((r) => r.had));
    return { ...removed, examined: rows.reduce((sum, r) => sum + r.n, 0) };
  }

  /** Resting orders last changed before `cutoff`: whole records retention would delete. */
  async countExpiredRecords(cutoff: Date): Promise<RemovalCounts> {
    const rows = await this.q<{ state: OrderState; n: number }>(
      `SELECT state, count(*)::int AS n FROM orders WHERE updated_at < $1 AND state NOT IN ${LIVE_STATES_SQL} GROUP BY state`,
      [cutoff],
    );
    return counts(rows);
  }

  /**
   * Deletes up to `limit` resting records last changed before `cutoff`, with their attempts,
   * actions, notifications and portal order ids, in one statement.
   */
  async deleteExpiredRecords(cutoff: Date, limit: number): Promise<RemovalCounts> {
    const rows = await this.q<{ state: OrderState; n: number }>(
      `WITH v AS (
         SELECT key, state FROM orders WHERE updated_at < $1 AND state NOT IN ${LIVE_STATES_SQL}
          ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED
       ), po AS (
         DELETE FROM portal_orders WHERE order_key IN (SELECT key FROM v)
       ), d AS (
         DELETE FROM orders o USING v WHERE o.key = v.key AND o.state NOT IN ${LIVE_STATES_SQL} RETURNING o.key, v.state
       )
       SELECT state, count(*)::int AS n FROM d GROUP BY state`,
      [cutoff, limit],
    );
    return counts(rows);
  }

  // ---- erasure -------------------------------------------------------------------------------

  /** The orders registered for the person with this hash (whose personal data is still there). */
  async ordersOfPerson(personHash: string): Promise<PersonOrder[]> {
    return this.q<PersonOrder & Record<string, unknown>>(
      'SELECT key, state, portal, ordernr FROM orders WHERE person_hash = $1 ORDER BY received_at, key',
      [personHash],
    );
  }

  /**
   * Erases one order's personal data (GDPR art. 17), refusing a live one, and audits it in the
   * same statement. With `pattern` (personnummer-pattern.ts: every spelling of the person's
   * number), the number is also replaced by ERASED_TEXT wherever free text holds it: BRP's
   * messages, errors, the attempt details and the order's audit trail.
   */
  async eraseOrder(key: string, note: { now: Date; actor: string; reason: string; detail: string; pattern?: string }): Promise<ErasureOutcome> {
    const p = note.pattern ?? null;
    const scrub = (expr: string) => `CASE WHEN $6::text IS NULL THEN ${expr} ELSE regexp_replace(${expr}, $6, '${ERASED_TEXT}', 'g') END`;
    const rows = await this.q<{ state: OrderState | null; had: boolean | null; erased: boolean }>(
      `WITH cur AS (
         SELECT o.key, o.state, ${HOLDS_PERSONAL_DATA} AS had FROM orders o WHERE o.key = $1 FOR UPDATE
       ), s AS (
         UPDATE orders o SET ${removePersonalData('$2', `(${scrub(`(${BRP_ERROR_WITHOUT_DEBUG})::text`)})::jsonb`)},
                last_error = ${scrub('o.last_error')}, review = ${scrub('o.review')}, unroutable_reason = ${scrub('o.unroutable_reason')}
           FROM cur WHERE o.key = cur.key AND cur.state NOT IN ${LIVE_STATES_SQL}
         RETURNING o.key
       ), at AS (
         UPDATE attempts SET detail = ${scrub('detail')} WHERE $6::text IS NOT NULL AND order_key IN (SELECT key FROM s) AND detail ~ $6
       ), ac AS (
         UPDATE order_actions SET detail = ${scrub('detail')}, reason = ${scrub('reason')}
          WHERE $6::text IS NOT NULL AND order_key IN (SELECT key FROM s) AND (detail ~ $6 OR reason ~ $6)
       ), audit AS (
         INSERT INTO order_actions (order_key, at, actor, action, from_state, to_state, reason, detail)
         SELECT cur.key, $2, $3, 'erase', cur.state, cur.state, $4, $5 FROM cur JOIN s ON s.key = cur.key
       )
       SELECT cur.state, cur.had, EXISTS (SELECT 1 FROM s) AS erased FROM (SELECT 1) one LEFT JOIN cur ON true`,
      [key, note.now, note.actor, note.reason, note.detail, p],
    );
    const row = rows[0];
    if (!row?.state) return { outcome: 'missing' };
    if (!row.erased) return { outcome: 'live', state: row.state };
    return { outcome: 'erased', state: row.state, hadPersonalData: row.had ?? false };
  }

  // ---- audit ---------------------------------------------------------------------------------

  async recordPrivacyAction(action: PrivacyAction): Promise<void> {
    await this.q(
      'INSERT INTO privacy_actions (at, actor, action, reason, dry_run, summary) VALUES ($1, $2, $3, $4, $5, $6::jsonb)',
      [action.at, action.actor, action.action, action.reason ?? null, action.dryRun, JSON.stringify(action.summary)],
    );
  }

  async privacyActions(limit = 50): Promise<Array<PrivacyAction & { id: number }>> {
    const rows = await this.q<{ id: number; at: Date; actor: string; action: 'retention' | 'erasure'; reason: string | null; dry_run: boolean; summary: unknown }>(
      'SELECT id, at, actor, action, reason, dry_run, summary FROM privacy_actions ORDER BY id DESC LIMIT $1',
      [limit],
    );
    return rows.map((r) => ({ id: r.id, at: r.at, actor: r.actor, action: r.action, ...(r.reason !== null ? { reason: r.reason } : {}), dryRun: r.dry_run, summary: r.summary }));
  }
}

function counts(rows: ReadonlyArray<{ state: OrderState; n: number }>): RemovalCounts {
  const byState: Partial<Record<OrderState, number>> = {};
  let total = 0;
  for (const r of rows) {
    byState[r.state] = (byState[r.state] ?? 0) + r.n;
    total += r.n;
  }
  return { byState, total };
}
