import type { Redis } from 'ioredis';
import type { CanonicalOrder, OrderKey, Portal } from '../domain/canonical-order.js';
import { formatOrderKey, parseOrderKey } from '../domain/canonical-order.js';
import { PartnerdError } from '../errors.js';
import { BEGIN_ATTEMPT, CLAIM_NOTIFICATIONS, FINISH_ATTEMPT, REGISTER, TRANSITION } from './ledger-scripts.js';
import { LIVE_STATES, ORDER_STATES, type AttemptRecord, type OrderState } from './order-state.js';

/**
 * The durable record of every order key: the exactly-once guard, the attempt history and the
 * outcome BRP gave. It lives in Redis with no expiry, independent of BullMQ's job retention.
 *
 *   {prefix}:order:{key}            hash: state, ids, outcome fields, payload while still needed
 *   {prefix}:order:{key}:attempts   list of AttemptRecord JSON
 *   {prefix}:idx:updated            zset: key by last change (ms)
 *   {prefix}:idx:final              zset: key by the time it reached confirmed/rejected/unroutable
 *   {prefix}:state:{state}          set: keys currently in that state
 *   {prefix}:portal:{portal}        hash: the portal's order id → key (one record per portal order)
 *   {prefix}:notify:due             zset: keys whose outcome the portal must still be told, by due time
 *
 * Unroutable orders (no tenant yet) live under the key `~:{portal}:{ordernr}`.
 */

/** The tenant part of the key of an order that could not be routed to a tenant. */
export const UNROUTED_TENANT = '~';

/** Portals that are told each final outcome by the daemon (the others ask, or read receipts). */
export const DEFAULT_NOTIFY_PORTALS: readonly Portal[] = ['wellnet', 'epassi'];

/** What BRP's answer left us with, flattened for the hash (all optional). */
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
}

export interface LedgerRecord extends OrderOutcome, OrderKey {
  key: string;
  state: OrderState;
  receivedAt: string;
  updatedAt: string;
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
  /** Portal notification bookkeeping (wellnet, epassi). */
  notifiedAt?: string;
  notifyAttempts?: number;
  notifyLastError?: string;
}

export type RegisterResult = { created: true; state: OrderState } | { created: false; state: OrderState | 'missing'; existingKey: string };
export type BeginResult =
  | { kind: 'started'; attempt: number; xmlProof?: string; xml?: string }
  | { kind: 'open'; openedAt: string; attempt: number }
  | { kind: 'done'; state: OrderState | 'missing' };

type ScriptRedis = Redis & {
  pdRegister(...args: (string | number)[]): Promise<[string, string, string]>;
  pdClaimNotifications(...args: (string | number)[]): Promise<string[]>;
  pdBegin(...args: (string | number)[]): Promise<string[]>;
  pdFinish(...args: (string | number)[]): Promise<string[]>;
  pdTransition(...args: (string | number)[]): Promise<string[]>;
};

const NUMBER_FIELDS = new Set(['attempts', 'sumOre', 'sumExVatOre', 'invoiceTotalOre', 'notifyAttempts']);
const JSON_FIELDS = new Set(['vatSums', 'brpError', 'payload', 'portalOrder']);

export class Ledger {
  private readonly redis: ScriptRedis;
  private readonly notifyPortals: string;

  constructor(redis: Redis, readonly prefix: string, notifyPortals: readonly Portal[] = DEFAULT_NOTIFY_PORTALS) {
    this.redis = redis as ScriptRedis;
    this.notifyPortals = `,${notifyPortals.join(',')},`;
    if (!('pdRegister' in redis)) {
      redis.defineCommand('pdRegister', { numberOfKeys: 6, lua: REGISTER });
      redis.defineCommand('pdBegin', { numberOfKeys: 6, lua: BEGIN_ATTEMPT });
      redis.defineCommand('pdFinish', { numberOfKeys: 6, lua: FINISH_ATTEMPT });
      redis.defineCommand('pdTransition', { numberOfKeys: 6, lua: TRANSITION });
      redis.defineCommand('pdClaimNotifications', { numberOfKeys: 1, lua: CLAIM_NOTIFICATIONS });
    }
  }

  /** KEYS and the ARGV header every state script takes (see ledger-scripts.ts). */
  private head(member: string, now: Date): (string | number)[] {
    const portal = parseOrderKey(member)?.portal ?? '';
    return [
      `${this.prefix}:order:${member}`, `${this.prefix}:order:${member}:attempts`, `${this.prefix}:idx:updated`,
      `${this.prefix}:portal:${portal}`, `${this.prefix}:idx:final`, `${this.prefix}:notify:due`,
      this.prefix, member, now.getTime(), now.toISOString(), this.notifyPortals,
    ];
  }

  private recordKey(member: string): string {
    return `${this.prefix}:order:${member}`;
  }

  /**
   * Creates the record if neither the key nor the portal's order id is known yet; the order's
   * payload and the XSD proof are stored with it, atomically.
   */
  async register(
    order: CanonicalOrder,
    xmlProof = '',
    options: { replaceIndexFrom?: string; now?: Date; /** The validated document, kept until confirmed. */ xml?: string } = {},
  ): Promise<RegisterResult & { key: string }> {
    const key = formatOrderKey(order);
    const [status, state, existingKey] = await this.redis.pdRegister(
      ...this.head(key, options.now ?? new Date()),
      order.tenant, order.portal, order.ordernr, JSON.stringify(order), xmlProof, 'queued', options.replaceIndexFrom ?? '',
      ...(options.xml ? ['xml', options.xml] : []),
    );
    return status === 'created'
      ? { key, created: true, state: state as OrderState }
      : { key, created: false, state: state as OrderState | 'missing', existingKey };
  }

  /**
   * Keeps a portal order that routing could not place (unknown venue or article) under
   * `~:{portal}:{ordernr}`, with the reason, until the configuration is fixed and it is re-routed.
   */
  async registerUnroutable(portal: Portal, ordernr: string, portalOrder: unknown, reason: string, now = new Date()): Promise<RegisterResult & { key: string }> {
    const key = formatOrderKey({ tenant: UNROUTED_TENANT, portal, ordernr });
    const [status, state, existingKey] = await this.redis.pdRegister(
      ...this.head(key, now),
      UNROUTED_TENANT, portal, ordernr, '', '', 'unroutable', '',
      'portalOrder', JSON.stringify(portalOrder), 'unroutableReason', reason,
    );
    return status === 'created'
      ? { key, created: true, state: 'unroutable' }
      : { key, created: false, state: state as OrderState | 'missing', existingKey };
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
    const [status, state, existingKey] = await this.redis.pdRegister(
      ...this.head(key, now),
      tenant, order.portal, order.ordernr, '', '', 'rejected', '',
      'portalOrder', JSON.stringify(order), 'brpError', JSON.stringify(brpError), 'rejectedBy', 'partnerd',
    );
    return status === 'created'
      ? { key, created: true, state: 'rejected' }
      : { key, created: false, state: state as OrderState | 'missing', existingKey };
  }

  /** The key the portal's order id was recorded under, if any. */
  async keyForPortalOrder(portal: Portal, ordernr: string): Promise<string | undefined> {
    return (await this.redis.hget(`${this.prefix}:portal:${portal}`, ordernr)) ?? undefined;
  }

  /** Opens an attempt before the HTTP call, so a crash mid-call is visible to whoever runs the job next. */
  async beginAttempt(key: string, now = new Date()): Promise<BeginResult> {
    const r = await this.redis.pdBegin(...this.head(key, now));
    if (r[0] === 'started') return { kind: 'started', attempt: Number(r[1]), xmlProof: r[2] || undefined, xml: r[3] || undefined };
    if (r[0] === 'open') return { kind: 'open', openedAt: r[1] ?? '', attempt: Number(r[2]) };
    return { kind: 'done', state: r[1] as OrderState | 'missing' };
  }

  /**
   * Closes the open attempt with its outcome and moves the order to `next`. Returns false when no
   * attempt was open (another process finished it first), in which case nothing was written.
   */
  async finishAttempt(
    key: string,
    next: OrderState,
    attempt: AttemptRecord,
    outcome: OrderOutcome = {},
    options: { dropPayload?: boolean; now?: Date } = {},
  ): Promise<boolean> {
    const now = options.now ?? new Date();
    const del = options.dropPayload ? ['payload', 'xml'] : [];
    const r = await this.redis.pdFinish(
      ...this.head(key, now), next,
      JSON.stringify({ ...attempt, endedAt: attempt.endedAt ?? now.toISOString() }),
      del.length, ...del, ...flatten(outcome),
    );
    return r[0] === 'ok';
  }

  /** Moves a resting order (operator action, reconciler). Throws PD_ILLEGAL_TRANSITION naming the current state. */
  async transition(
    key: string,
    from: readonly OrderState[],
    to: OrderState,
    note?: { detail: string },
    fields: OrderOutcome = {},
    options: { dropPayload?: boolean; dropPortalOrder?: boolean; now?: Date } = {},
  ): Promise<OrderState> {
    const now = options.now ?? new Date();
    const del = [...(options.dropPayload ? ['payload', 'xml'] : []), ...(options.dropPortalOrder ? ['portalOrder'] : [])];
    const noteJson = note ? JSON.stringify({ n: 0, startedAt: now.toISOString(), class: 'operator', detail: note.detail }) : '';
    const r = await this.redis.pdTransition(
      ...this.head(key, now), to, noteJson,
      from.length, ...from, del.length, ...del, ...flatten(fields),
    );
    if (r[0] !== 'ok') {
      if (r[1] === 'missing') throw new PartnerdError('PD_UNKNOWN_ORDER', key);
      throw new PartnerdError('PD_ILLEGAL_TRANSITION', `${key} is ${r[1]}, not ${from.join('/')}`);
    }
    return r[1] as OrderState;
  }

  /** Bookkeeping fields that are not a state change (e.g. an updated unroutable reason). */
  async setFields(key: string, fields: OrderOutcome & { unroutableReason?: string }): Promise<void> {
    const pairs = flatten(fields);
    if (pairs.length > 0) await this.redis.hset(this.recordKey(key), ...pairs);
  }

  async get(key: string): Promise<LedgerRecord | undefined> {
    const h = await this.redis.hgetall(this.recordKey(key));
    if (!h.state) return undefined;
    return toRecord(key, h);
  }

  async attempts(key: string): Promise<Array<AttemptRecord | { class: 'operator'; detail: string; startedAt: string }>> {
    const list = await this.redis.lrange(`${this.recordKey(key)}:attempts`, 0, -1);
    return list.map((s) => JSON.parse(s));
  }

  async keysInState(state: OrderState, count = 1000): Promise<string[]> {
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.sscan(`${this.prefix}:state:${state}`, cursor, 'COUNT', 500);
      out.push(...batch);
      cursor = next;
    } while (cursor !== '0' && out.length < count);
    return out.slice(0, count);
  }

  async countByState(): Promise<Record<string, number>> {
    const pipe = this.redis.pipeline();
    for (const s of ORDER_STATES) pipe.scard(`${this.prefix}:state:${s}`);
    const res = (await pipe.exec()) ?? [];
    return Object.fromEntries(ORDER_STATES.map((s, i) => [s, Number(res[i]?.[1] ?? 0)]));
  }

  /** Keys that reached a final outcome (confirmed, rejected, unroutable) in [from, to), oldest first. */
  async keysFinalBetween(from: Date, to: Date): Promise<string[]> {
    return this.redis.zrangebyscore(`${this.prefix}:idx:final`, from.getTime(), `(${to.getTime()}`);
  }

  /** Portal notifications due now, each leased for `leaseMs` to the caller. */
  async claimDueNotifications(limit: number, leaseMs: number, now = new Date()): Promise<string[]> {
    return this.redis.pdClaimNotifications(`${this.prefix}:notify:due`, limit, now.getTime(), leaseMs);
  }

  /** The portal has the outcome (2xx, or 409 "already"). */
  async notificationDone(key: string, now = new Date()): Promise<void> {
    await this.redis.multi()
      .zrem(`${this.prefix}:notify:due`, key)
      .hset(this.recordKey(key), 'notifiedAt', now.toISOString())
      .hdel(this.recordKey(key), 'notifyLastError')
      .exec();
  }

  /** Not delivered: due again at `retryAt`. Never dropped. Returns the number of failures so far. */
  async notificationFailed(key: string, retryAt: Date, detail: string): Promise<number> {
    const res = await this.redis.multi()
      .zadd(`${this.prefix}:notify:due`, retryAt.getTime(), key)
      .hincrby(this.recordKey(key), 'notifyAttempts', 1)
      .hset(this.recordKey(key), 'notifyLastError', detail.slice(0, 300))
      .exec();
    return Number(res?.[1]?.[1] ?? 0);
  }

  async pendingNotifications(): Promise<number> {
    return this.redis.zcard(`${this.prefix}:notify:due`);
  }

  /** Keys changed in [from, to], newest first: the time index for admin listings and reports. */
  async keysUpdatedBetween(from: Date, to: Date, limit = 100): Promise<string[]> {
    return this.redis.zrevrangebyscore(`${this.prefix}:idx:updated`, to.getTime(), from.getTime(), 'LIMIT', 0, limit);
  }
  // ---- Read models for /metrics (partnerd_orders, oldest waiting order, notify backlog). Shared
  // state, so every replica reports the same. Here they scan the per-state sets and the notify
  // queue (SSCAN in chunks: Redis is never blocked); a SQL ledger answers each with one GROUP BY.

  /** Every key in a per-state set, once (SSCAN may return a key twice while Redis rehashes). */
  private async membersOf(state: OrderState): Promise<Set<string>> {
    const keys = new Set<string>();
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.sscan(`${this.prefix}:state:${state}`, cursor, 'COUNT', 2000);
      for (const k of batch) keys.add(k);
      cursor = next;
    } while (cursor !== '0');
    return keys;
  }

  /** Orders per tenant and state (`~` for unroutable ones); only pairs with at least one order. */
  async countByTenantAndState(): Promise<Array<{ tenant: string; state: OrderState; count: number }>> {
    const perState = await Promise.all(ORDER_STATES.map(async (state) => ({ state, keys: await this.membersOf(state) })));
    const out: Array<{ tenant: string; state: OrderState; count: number }> = [];
    for (const { state, keys } of perState) {
      const counts = new Map<string, number>();
      for (const key of keys) {
        const tenant = key.slice(0, key.indexOf(':'));
        counts.set(tenant, (counts.get(tenant) ?? 0) + 1);
      }
      for (const [tenant, count] of counts) out.push({ tenant, state, count });
    }
    return out;
  }

  /** Per tenant, when the oldest order still in a live state (queued, retrying, submitting) was received. */
  async oldestWaitingByTenant(): Promise<Array<{ tenant: string; receivedAt: Date }>> {
    const keys = new Set<string>();
    for (const state of LIVE_STATES) for (const k of await this.membersOf(state)) keys.add(k);
    const list = [...keys];
    const oldest = new Map<string, number>();
    for (let i = 0; i < list.length; i += 1000) {
      const chunk = list.slice(i, i + 1000);
      const pipe = this.redis.pipeline();
      for (const key of chunk) pipe.hget(this.recordKey(key), 'receivedAt');
      const res = (await pipe.exec()) ?? [];
      chunk.forEach((key, j) => {
        const at = Date.parse(String(res[j]?.[1] ?? ''));
        if (Number.isNaN(at)) return; // moved on or gone since the scan
        const tenant = key.slice(0, key.indexOf(':'));
        if (at < (oldest.get(tenant) ?? Infinity)) oldest.set(tenant, at);
      });
    }
    return [...oldest].map(([tenant, at]) => ({ tenant, receivedAt: new Date(at) }));
  }

  /** Outcomes each portal must still be told (the notification queue), per portal. */
  async notifyBacklogByPortal(): Promise<Array<{ portal: string; count: number }>> {
    const counts = new Map<string, number>();
    const due = `${this.prefix}:notify:due`;
    const total = await this.redis.zcard(due);
    for (let i = 0; i < total; i += 5000) {
      for (const key of await this.redis.zrange(due, String(i), String(i + 4999))) {
        const portal = parseOrderKey(key)?.portal ?? 'unknown';
        counts.set(portal, (counts.get(portal) ?? 0) + 1);
      }
    }
    return [...counts].map(([portal, count]) => ({ portal, count }));
  }
}

function flatten(outcome: OrderOutcome): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(outcome)) {
    if (v === undefined) continue;
    out.push(k, typeof v === 'string' ? v : JSON.stringify(v));
  }
  return out;
}

function toRecord(key: string, h: Record<string, string>): LedgerRecord {
  const rec: Record<string, unknown> = { key };
  for (const [k, v] of Object.entries(h)) {
    if (NUMBER_FIELDS.has(k)) rec[k] = Number(v);
    else if (JSON_FIELDS.has(k)) rec[k] = JSON.parse(v);
    else rec[k] = v;
  }
  rec.portal = h.portal as Portal;
  return rec as unknown as LedgerRecord;
}
