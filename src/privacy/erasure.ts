import type { Redis } from 'ioredis';
import { logEvent } from '../observability/log-event.js';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { CanonicalOrder } from '../domain/canonical-order.js';
import { parseOrderKey } from '../domain/canonical-order.js';
import { normalisePersonnummer } from '../domain/personnummer.js';
import { PartnerdError } from '../errors.js';
import { withRunLock } from '../ingest/exclusive-schedule.js';
import { SOP_SCAN_SCHEDULE } from '../ingest/file-drop/sop-ingest.js';
import type { Queryable } from '../ledger/database.js';
import type { Ledger } from '../ledger/ledger.js';
import { LIVE_STATES, type OrderState } from '../ledger/order-state.js';
import { PersonalDataStore } from '../ledger/personal-data.js';
import { createPersonHasher, personnummerPattern } from '../domain/person-hash.js';
import { eraseFromSopFiles, type SopFileErasure, type SopRowMatch } from './sop-files.js';

/**
 * Erasure of a person's data on request (GDPR art. 17): `partnerd erase --personnummer X` and
 * `partnerd erase <key>`, always with a reason, audited.
 *
 * By personnummer: any form (10 or 12 digits, `-`, `+` or none, samordningsnummer) is normalised
 * to 12 digits and hashed with the erasure key; the orders registered with that hash are the
 * person's. Their personal fields are removed (ledger/personal-data.ts), the number is blanked
 * wherever free text holds it, and the person's rows leave the S&P archive/ and rejected/ files.
 * By key: that one order, and its rows (by S&P order number) in the S&P files.
 *
 * Refused, and said which and why: orders that are live (queued or retrying: they are still to be
 * sent, and BRP needs the person to create them; submitting: a call to BRP is in flight). S&P
 * inbox files are never changed: their orders have not been read yet. Everything else is erased;
 * running again after the refused orders reached an outcome finishes the job (erasure is idempotent).
 *
 * Financial fields (BRP's numbers, amounts, VAT, dates, the employer) are kept: they are the
 * bookkeeping record (art. 17(3)(b)); they say nothing about who the person was once the hash is gone.
 */

export type ErasureTarget = { personnummer: string } | { key: string };

export interface ErasureRequest {
  target: ErasureTarget;
  reason: string;
  actor: string;
  dryRun?: boolean;
  now?: Date;
}

export interface ErasureOrderResult {
  key: string;
  state: OrderState;
  /** erased (would be, in a dry run); refused: live or in flight, `why` says which. */
  outcome: 'erased' | 'refused';
  why?: string;
}

export interface ErasureResult {
  dryRun: boolean;
  orders: ErasureOrderResult[];
  /** S&P files concerned (absent when S&P is not configured). */
  files?: SopFileErasure[];
  /** Orders and inbox files that could not be erased now. */
  refused: number;
}

export interface ErasureDeps {
  database: Queryable;
  ledger: Pick<Ledger, 'get'>;
  config: Pick<Config, 'retention' | 'portals' | 'redis'>;
  logger: Logger;
  /** With Redis, the S&P files are changed under the inbox scan's lock (never during a scan). */
  redis?: Redis;
}

/** A reason is kept in the audit trail for years: it must not hold the number being erased. */
const PERSONNUMMER_LIKE = /(?<![0-9])(?:[0-9]{6}|[0-9]{8})[-+ ]?[0-9]{4}(?![0-9])/;

const WHY_LIVE: Partial<Record<OrderState, string>> = {
  queued: 'queued: it is still to be sent to BRP, which needs the person to create it',
  retrying: 'retrying: it is still to be sent to BRP, which needs the person to create it',
  submitting: 'submitting: a call to BRP with the order is in flight',
};

export async function erase(deps: ErasureDeps, request: ErasureRequest): Promise<ErasureResult> {
  const now = request.now ?? new Date();
  const dryRun = request.dryRun ?? false;
  const reason = request.reason.trim();
  const actor = request.actor.trim();
  if (!reason) throw new PartnerdError('PD_INVALID_ARGUMENT', 'an erasure needs a reason (--reason)');
  if (PERSONNUMMER_LIKE.test(reason)) throw new PartnerdError('PD_INVALID_ARGUMENT', 'the reason is kept in the audit trail: it must not hold a personnummer');
  if (!actor) throw new PartnerdError('PD_INVALID_ARGUMENT', 'an erasure needs an actor (--actor)');

  const store = new PersonalDataStore(deps.database);
  const { orders, pattern, fileMatch, by } = await target(deps, store, request.target, now);
  const detail = `personal data erased on request (GDPR art. 17), by ${by}`;

  const results: ErasureOrderResult[] = [];
  for (const order of orders) {
    if (LIVE_STATES.includes(order.state)) {
      results.push({ key: order.key, state: order.state, outcome: 'refused', why: WHY_LIVE[order.state] ?? order.state });
      continue;
    }
    if (dryRun) {
      results.push({ key: order.key, state: order.state, outcome: 'erased' });
      continue;
    }
    const r = await store.eraseOrder(order.key, { now, actor, reason, detail, ...(pattern ? { pattern } : {}) });
    if (r.outcome === 'missing') continue; // deleted meanwhile (retention): nothing of it is left
    if (r.outcome === 'live') results.push({ key: order.key, state: r.state, outcome: 'refused', why: WHY_LIVE[r.state] ?? r.state });
    else results.push({ key: order.key, state: r.state, outcome: 'erased' });
  }

  const root = deps.config.portals.sop?.root;
  const files = root && fileMatch ? await underScanLock(deps, () => eraseFromSopFiles(root, fileMatch, dryRun)) : undefined;
  const refused = results.filter((r) => r.outcome === 'refused').length + (files?.filter((f) => f.outcome === 'pending').length ?? 0);
  const result: ErasureResult = { dryRun, orders: results, ...(files ? { files } : {}), refused };

  // The audit names the orders and files, never the number or its hash.
  await store.recordPrivacyAction({ at: now, actor, action: 'erasure', reason, dryRun, summary: { by, ...result } });
  logEvent(deps.logger, 'privacy.erasure', {
    dryRun, by, actor,
    erased: results.filter((r) => r.outcome === 'erased').map((r) => r.key),
    refused: results.filter((r) => r.outcome === 'refused').map((r) => r.key),
    files: files?.map((f) => `${f.outcome} ${f.file}`),
  });
  return result;
}

interface Target {
  orders: Array<{ key: string; state: OrderState }>;
  /** Every spelling of the person's number, for free text (when it is known). */
  pattern?: string;
  fileMatch?: SopRowMatch;
  by: 'personnummer' | 'key';
}

async function target(deps: ErasureDeps, store: PersonalDataStore, t: ErasureTarget, now: Date): Promise<Target> {
  if ('personnummer' in t) {
    const long = normalisePersonnummer(t.personnummer, 'long', now);
    // The library's message, never the number.
    if (!long.ok) throw new PartnerdError('PD_INVALID_ARGUMENT', `--personnummer: ${long.message}`);
    const hash = createPersonHasher(deps.config.retention.erasureKey)(long.value, now)!;
    return {
      orders: await store.ordersOfPerson(hash),
      pattern: personnummerPattern(long.value),
      fileMatch: { personnummer: long.value, now },
      by: 'personnummer',
    };
  }
  const id = parseOrderKey(t.key);
  if (!id) throw new PartnerdError('PD_UNKNOWN_ORDER', `not an order key (tenant:portal:ordernr): ${t.key}`);
  const rec = await deps.ledger.get(t.key);
  if (!rec) throw new PartnerdError('PD_UNKNOWN_ORDER', t.key);
  // The number, while the order still holds it, is blanked from free text too.
  const held = (rec.payload as CanonicalOrder | undefined)?.person?.personnummer ?? (rec.portalOrder as { person?: { personnummer?: string } } | undefined)?.person?.personnummer;
  const long = typeof held === 'string' && held !== '' ? normalisePersonnummer(held, 'long', new Date(rec.receivedAt)) : undefined;
  return {
    orders: [{ key: rec.key, state: rec.state }],
    ...(long?.ok ? { pattern: personnummerPattern(long.value) } : {}),
    ...(id.portal === 'sop' ? { fileMatch: { ordernr: id.ordernr } } : {}),
    by: 'key',
  };
}

const SCAN_LOCK_TTL_MS = 15 * 60_000;

/** Runs `fn` while no S&P inbox scan runs anywhere (waits for one that does). */
async function underScanLock<T>(deps: ErasureDeps, fn: () => Promise<T>): Promise<T> {
  const redis = deps.redis;
  if (!redis) return fn();
  const deadline = Date.now() + SCAN_LOCK_TTL_MS;
  for (;;) {
    const result = await withRunLock(redis, deps.config.redis.prefix, SOP_SCAN_SCHEDULE, SCAN_LOCK_TTL_MS, async () => ({ value: await fn() }));
    if (result !== undefined) return result.value;
    if (Date.now() > deadline) throw new PartnerdError('PD_BUSY', 'an S&P inbox scan is still running: try again');
    await new Promise((r) => setTimeout(r, 250));
  }
}
