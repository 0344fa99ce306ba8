import type { Redis } from 'ioredis';
import type { CanonicalOrder, OrderKey, Portal } from '../domain/canonical-order.js';
import { formatOrderKey } from '../domain/canonical-order.js';
import { PartnerdError } from '../errors.js';
import { BEGIN_ATTEMPT, FINISH_ATTEMPT, REGISTER, TRANSITION } from './ledger-scripts.js';
import { ORDER_STATES, type AttemptRecord, type OrderState } from './order-state.js';

/**
 * The durable record of every order key: the exactly-once guard, the attempt history and the
 * outcome BRP gave. It lives in Redis with no expiry, independent of BullMQ's job retention.
 *
 *   {prefix}:order:{key}            hash: state, ids, outcome fields, payload while still needed
 *   {prefix}:order:{key}:attempts   list of AttemptRecord JSON
 *   {prefix}:idx:updated            zset: key by last change (ms)
 *   {prefix}:state:{state}          set: keys currently in that state
 */

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
}

export type RegisterResult = { created: true; state: 'queued' } | { created: false; state: OrderState };
export type BeginResult =
  | { kind: 'started'; attempt: number; xmlProof?: string }
  | { kind: 'open'; openedAt: string; attempt: number }
  | { kind: 'done'; state: OrderState | 'missing' };

type ScriptRedis = Redis & {
  pdRegister(...args: (string | number)[]): Promise<[string, string]>;
  pdBegin(...args: (string | number)[]): Promise<string[]>;
  pdFinish(...args: (string | number)[]): Promise<string[]>;
  pdTransition(...args: (string | number)[]): Promise<string[]>;
};

const NUMBER_FIELDS = new Set(['attempts', 'sumOre', 'sumExVatOre', 'invoiceTotalOre']);
const JSON_FIELDS = new Set(['vatSums', 'brpError', 'payload']);

export class Ledger {
  private readonly redis: ScriptRedis;

  constructor(redis: Redis, readonly prefix: string) {
    this.redis = redis as ScriptRedis;
    if (!('pdRegister' in redis)) {
      redis.defineCommand('pdRegister', { numberOfKeys: 3, lua: REGISTER });
      redis.defineCommand('pdBegin', { numberOfKeys: 3, lua: BEGIN_ATTEMPT });
      redis.defineCommand('pdFinish', { numberOfKeys: 3, lua: FINISH_ATTEMPT });
      redis.defineCommand('pdTransition', { numberOfKeys: 3, lua: TRANSITION });
    }
  }

  private keys(member: string): [string, string, string] {
    return [`${this.prefix}:order:${member}`, `${this.prefix}:order:${member}:attempts`, `${this.prefix}:idx:updated`];
  }

  /** Creates the record if the key is new. The order's payload is stored with it, atomically. */
  async register(order: CanonicalOrder, xmlProof = '', now = new Date()): Promise<RegisterResult & { key: string }> {
    const key = formatOrderKey(order);
    const [status, state] = await this.redis.pdRegister(
      ...this.keys(key), this.prefix, key, now.getTime(), now.toISOString(),
      order.tenant, order.portal, order.ordernr, JSON.stringify(order), xmlProof,
    );
    return status === 'created' ? { key, created: true, state: 'queued' } : { key, created: false, state: state as OrderState };
  }

  /** Opens an attempt before the HTTP call, so a crash mid-call is visible to whoever runs the job next. */
  async beginAttempt(key: string, now = new Date()): Promise<BeginResult> {
    const r = await this.redis.pdBegin(...this.keys(key), this.prefix, key, now.getTime(), now.toISOString());
    if (r[0] === 'started') return { kind: 'started', attempt: Number(r[1]), xmlProof: r[2] || undefined };
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
    const del = options.dropPayload ? ['payload'] : [];
    const r = await this.redis.pdFinish(
      ...this.keys(key), this.prefix, key, now.getTime(), now.toISOString(), next,
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
    options: { dropPayload?: boolean; now?: Date } = {},
  ): Promise<OrderState> {
    const now = options.now ?? new Date();
    const del = options.dropPayload ? ['payload'] : [];
    const noteJson = note ? JSON.stringify({ n: 0, startedAt: now.toISOString(), class: 'operator', detail: note.detail }) : '';
    const r = await this.redis.pdTransition(
      ...this.keys(key), this.prefix, key, now.getTime(), now.toISOString(), to, noteJson,
      from.length, ...from, del.length, ...del, ...flatten(fields),
    );
    if (r[0] !== 'ok') {
      if (r[1] === 'missing') throw new PartnerdError('PD_UNKNOWN_ORDER', key);
      throw new PartnerdError('PD_ILLEGAL_TRANSITION', `${key} is ${r[1]}, not ${from.join('/')}`);
    }
    return r[1] as OrderState;
  }

  async get(key: string): Promise<LedgerRecord | undefined> {
    const h = await this.redis.hgetall(this.keys(key)[0]);
    if (!h.state) return undefined;
    return toRecord(key, h);
  }

  async attempts(key: string): Promise<Array<AttemptRecord | { class: 'operator'; detail: string; startedAt: string }>> {
    const list = await this.redis.lrange(this.keys(key)[1], 0, -1);
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

  /** Keys changed in [from, to], newest first: the time index for admin listings and reports. */
  async keysUpdatedBetween(from: Date, to: Date, limit = 100): Promise<string[]> {
    return this.redis.zrevrangebyscore(`${this.prefix}:idx:updated`, to.getTime(), from.getTime(), 'LIMIT', 0, limit);
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
