import { randomInt } from 'node:crypto';
import { z } from 'zod';

/**
 * Fault injection for the BRP simulator: what goes wrong, and when.
 *
 * For each partner-order request (to a known instance) one action is chosen:
 *  1. the next entry of `scriptByOrdernr[ordernr]`, if that list has one left; else
 *  2. the next entry of `script`, if it has one left; else
 *  3. one uniform draw from the seeded PRNG against the cumulative rates, in this order:
 *     rate5xx, rate429, rate401, rateTimeoutAfterCommit, rateResetAfterCommit, rateMalformed2xx
 *     (rates summing over 1 are cut off at 1, so the earlier ones win); else `ok`.
 *
 * Actions:
 *  - `ok`                    normal processing
 *  - `500` / `503`           before commit: no order; 500 with an XML `<errors>` body, 503 with a short HTML page
 *  - `429`                   before commit: no order; `Retry-After: {retryAfterSeconds}`
 *  - `401` / `403`           before commit: no order; `<errors>` 1010 / 1011
 *  - `refuse`                a valid request is refused by BRP (400, the doc's example error 1111); no order
 *  - `timeout-after-commit`  the order IS created and recorded, then no response: the socket stays
 *                            open until the client gives up or `hangMs` passes, then is destroyed
 *  - `reset-after-commit`    the order IS created and recorded, then the socket is reset
 *  - `malformed-2xx`         the order IS created and recorded, then 200 with a body that is not
 *                            well-formed (the doc's broken `<confirmation>` example)
 * An invalid request (bad key, XSD, product …) gets its normal 4xx whatever after-commit action or
 * `refuse` was drawn for it (the entry is still consumed). Before-commit faults answer before
 * the request is even looked at.
 */

export const FAULT_ACTIONS = [
  'ok',
  '500',
  '503',
  '429',
  '401',
  '403',
  'timeout-after-commit',
  'reset-after-commit',
  'malformed-2xx',
  'refuse',
] as const;

export type FaultAction = (typeof FAULT_ACTIONS)[number];

export interface FaultConfig {
  /** Fixed latency added to every partner-order request. */
  latencyMs?: number;
  /** Extra uniformly random latency, 0..latencyJitterMs. */
  latencyJitterMs?: number;
  /** Probability (0..1) of a 503 or 500 (half each). */
  rate5xx?: number;
  /** Probability (0..1) of a 429. */
  rate429?: number;
  /** Seconds in the 429's `Retry-After` header; default 1. */
  retryAfterSeconds?: number;
  /** Probability (0..1) of a 401 although the key is right. */
  rate401?: number;
  /** Probability (0..1) that the order is created but the response never comes. */
  rateTimeoutAfterCommit?: number;
  /** How long a `timeout-after-commit` socket is held before it is destroyed; default 60000. */
  hangMs?: number;
  /** Probability (0..1) that the order is created and the connection then reset. */
  rateResetAfterCommit?: number;
  /** Probability (0..1) that the order is created and answered with a malformed 200. */
  rateMalformed2xx?: number;
  /** Seed of the PRNG behind the rates and the jitter; random when omitted. */
  seed?: number;
  /** Actions consumed one per partner-order request, before the rates apply. */
  script?: FaultAction[];
  /** Per-ordernr scripts, consumed before `script` by requests for that ordernr. */
  scriptByOrdernr?: Record<string, FaultAction[]>;
}

const rate = z.number().min(0).max(1);
const ms = z.number().int().min(0).max(600_000);
const action = z.enum(FAULT_ACTIONS);

export const faultConfigSchema = z.strictObject({
  latencyMs: ms.optional(),
  latencyJitterMs: ms.optional(),
  rate5xx: rate.optional(),
  rate429: rate.optional(),
  retryAfterSeconds: z.number().int().min(0).max(86_400).optional(),
  rate401: rate.optional(),
  rateTimeoutAfterCommit: rate.optional(),
  hangMs: ms.optional(),
  rateResetAfterCommit: rate.optional(),
  rateMalformed2xx: rate.optional(),
  seed: z.number().int().optional(),
  script: z.array(action).optional(),
  scriptByOrdernr: z.record(z.string(), z.array(action)).optional(),
});

export const DEFAULT_RETRY_AFTER_SECONDS = 1;
export const DEFAULT_HANG_MS = 60_000;

export type FaultSource = 'script-ordernr' | 'script' | 'rate' | 'none';

export interface FaultDecision {
  action: FaultAction;
  source: FaultSource;
}

/** mulberry32: small, fast, deterministic for a seed; not for anything secret. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private cfg: FaultConfig = {};
  private script: FaultAction[] = [];
  private byOrdernr = new Map<string, FaultAction[]>();
  private random: () => number = Math.random;

  constructor(config: FaultConfig = {}) {
    this.set(config);
  }

  /** Replaces the configuration; scripts are copied (consuming them never touches the caller's arrays). */
  set(config: FaultConfig): void {
    this.cfg = { ...config };
    this.script = [...(config.script ?? [])];
    this.byOrdernr = new Map(Object.entries(config.scriptByOrdernr ?? {}).map(([k, v]) => [k, [...v]]));
    this.random = mulberry32(config.seed ?? randomInt(0, 2 ** 32 - 1));
  }

  /** The configuration with what is left of the scripts. */
  get config(): FaultConfig {
    const out: FaultConfig = { ...this.cfg };
    if (this.cfg.script !== undefined) out.script = [...this.script];
    if (this.cfg.scriptByOrdernr !== undefined) out.scriptByOrdernr = Object.fromEntries([...this.byOrdernr].map(([k, v]) => [k, [...v]]));
    return out;
  }

  /** Whether the request's ordernr is needed to decide (a per-ordernr script has entries left). */
  get needsOrdernr(): boolean {
    for (const list of this.byOrdernr.values()) if (list.length > 0) return true;
    return false;
  }

  next(ordernr?: string): FaultDecision {
    if (ordernr !== undefined) {
      const scoped = this.byOrdernr.get(ordernr);
      const a = scoped?.shift();
      if (a !== undefined) return { action: a, source: 'script-ordernr' };
    }
    const a = this.script.shift();
    if (a !== undefined) return { action: a, source: 'script' };
    const c = this.cfg;
    const rates: Array<[number | undefined, () => FaultAction]> = [
      [c.rate5xx, () => (this.random() < 0.5 ? '503' : '500')],
      [c.rate429, () => '429'],
      [c.rate401, () => '401'],
      [c.rateTimeoutAfterCommit, () => 'timeout-after-commit'],
      [c.rateResetAfterCommit, () => 'reset-after-commit'],
      [c.rateMalformed2xx, () => 'malformed-2xx'],
    ];
    if (!rates.some(([r]) => (r ?? 0) > 0)) return { action: 'ok', source: 'none' };
    const draw = this.random();
    let cumulative = 0;
    for (const [r, pick] of rates) {
      cumulative += r ?? 0;
      if (draw < cumulative) return { action: pick(), source: 'rate' };
    }
    return { action: 'ok', source: 'rate' };
  }

  /** Latency to add to this request, in ms (0 when none is configured). */
  latency(): number {
    const fixed = this.cfg.latencyMs ?? 0;
    const jitter = this.cfg.latencyJitterMs ?? 0;
    return jitter > 0 ? fixed + Math.floor(this.random() * (jitter + 1)) : fixed;
  }

  get retryAfterSeconds(): number {
    return this.cfg.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
  }

  get hangMs(): number {
    return this.cfg.hangMs ?? DEFAULT_HANG_MS;
  }

  /** Re-seeds the PRNG from the configured seed (used by reset, so a seeded run can be replayed). */
  reseed(): void {
    if (this.cfg.seed !== undefined) this.random = mulberry32(this.cfg.seed);
  }
}
