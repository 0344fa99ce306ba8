import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Ledger } from '../../ledger/ledger.js';
import type { PullPortal } from './portal-http.js';

/**
 * The operational state of each pull portal, in Redis, shared by every replica (the cursor is
 * the ledger's: it moves with the orders of its page, see wellnet-poller.ts):
 *
 *   {prefix}:portal:{portal}:stopped    JSON {at, reason, status}: polling stopped after a 401 (until resumePortal)
 *   {prefix}:portal:{portal}:backoff    hash {failures, until}: consecutive 429/5xx/network failures
 *
 * Losing these (Redis without persistence) costs nothing durable: a stopped portal is polled,
 * answers 401 again and stops again; a back-off starts over.
 */

export function portalKeys(prefix: string, portal: PullPortal) {
  return {
    stopped: `${prefix}:portal:${portal}:stopped`,
    backoff: `${prefix}:portal:${portal}:backoff`,
  };
}

export interface StoppedInfo {
  at: string;
  reason: string;
  status?: number;
}

export interface BackoffState {
  failures: number;
  /** ms since epoch; scheduled runs before it are skipped. */
  until: number;
}

/**
 * Back-off of a pull portal after 429 / 5xx / network failures, in time (the schedule's ticks
 * before `until` are skipped): the first failure only ends the run (the next tick tries again);
 * each further consecutive failure doubles the pause, from `baseMs` up to `maxMs`. A 429's or
 * 503's Retry-After is honoured when it asks for longer (capped at `maxMs`). A successful poll
 * clears it. Manual polls (`partnerd poll`) ignore it.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 60_000, maxMs: 15 * 60_000 };

export function backoffPause(failures: number, policy: BackoffPolicy, retryAfterMs?: number): number {
  const exp = failures <= 1 ? 0 : Math.min(policy.baseMs * 2 ** (failures - 2), policy.maxMs);
  return Math.max(exp, Math.min(retryAfterMs ?? 0, policy.maxMs));
}

export async function stoppedInfo(redis: Redis, prefix: string, portal: PullPortal): Promise<StoppedInfo | undefined> {
  const raw = await redis.get(portalKeys(prefix, portal).stopped);
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw) as StoppedInfo;
  } catch {
    return { at: '', reason: raw };
  }
}

/** Sets the stop flag; true only for the caller that set it (so the alert is logged once, whatever the replicas). */
export async function markStopped(redis: Redis, prefix: string, portal: PullPortal, info: StoppedInfo): Promise<boolean> {
  return (await redis.set(portalKeys(prefix, portal).stopped, JSON.stringify(info), 'NX')) === 'OK';
}

export async function readBackoff(redis: Redis, prefix: string, portal: PullPortal): Promise<BackoffState | undefined> {
  const h = await redis.hgetall(portalKeys(prefix, portal).backoff);
  if (!h.failures) return undefined;
  return { failures: Number(h.failures), until: Number(h.until ?? 0) };
}

export async function recordFailure(redis: Redis, prefix: string, portal: PullPortal, policy: BackoffPolicy, now: number, retryAfterMs?: number): Promise<BackoffState> {
  const key = portalKeys(prefix, portal).backoff;
  const failures = await redis.hincrby(key, 'failures', 1);
  const until = now + backoffPause(failures, policy, retryAfterMs);
  await redis.hset(key, 'until', String(until));
  return { failures, until };
}

export async function clearBackoff(redis: Redis, prefix: string, portal: PullPortal): Promise<void> {
  await redis.del(portalKeys(prefix, portal).backoff);
}

export interface PortalStatus {
  portal: PullPortal;
  stopped?: StoppedInfo;
  backoff?: BackoffState;
  /** Wellnet only: the stored cursor. */
  cursor?: string;
}

export async function portalStatus(services: { redis: Redis; ledger: Ledger; config: { redis: { prefix: string } } }, portal: PullPortal): Promise<PortalStatus> {
  const prefix = services.config.redis.prefix;
  const [stopped, backoff, cursor] = await Promise.all([
    stoppedInfo(services.redis, prefix, portal),
    readBackoff(services.redis, prefix, portal),
    services.ledger.cursor(portal),
  ]);
  return { portal, ...(stopped ? { stopped } : {}), ...(backoff ? { backoff } : {}), ...(cursor !== undefined ? { cursor } : {}) };
}

/**
 * Lets polling of a stopped portal start again (after the token or client credentials were
 * fixed): clears the stop flag and any back-off. Returns whether the portal was stopped.
 * The cursor is kept: polling continues where it stopped.
 */
export async function resumePortal(
  services: { redis: Redis; logger: Logger; config: { redis: { prefix: string } } },
  portal: PullPortal,
): Promise<{ wasStopped: boolean }> {
  const keys = portalKeys(services.config.redis.prefix, portal);
  const [removed] = await Promise.all([services.redis.del(keys.stopped), services.redis.del(keys.backoff)]);
  const wasStopped = removed === 1;
  services.logger.info({ event: 'portal.resumed', portal, wasStopped }, 'portal.resumed');
  return { wasStopped };
}
