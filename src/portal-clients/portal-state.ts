import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Ledger } from '../ledger/ledger.js';
import { logEvent } from '../observability/log-event.js';
import type { PullPortal } from './portal-http.js';
import { backoffDelay, type BackoffPolicy } from '../queue/backoff.js';

/**
 * The operational state of each pull portal, in Redis, shared by every replica (the cursor is
 * the ledger's: it moves with the orders of its page, see wellnet-poller.ts):
 *
 *   {prefix}:portal:{portal}:stopped          JSON {at, reason, status}: polling stopped after a 401 (until resumePortal)
 *   {prefix}:portal:{portal}:notify_stopped   JSON {at, reason, status}: telling outcomes stopped after a 401/403 (until resumePortal)
 *   {prefix}:portal:{portal}:backoff          hash {failures, until}: consecutive 429/5xx/network failures
 *   {prefix}:portal:{portal}:last_poll_ok     ms since epoch of the last poll that read every page (the staleness metric)
 *
 * Losing these (Redis without persistence) costs nothing durable: a stopped portal is polled,
 * answers 401 again and stops again; a back-off starts over.
 */

export function portalKeys(prefix: string, portal: PullPortal) {
  return {
    stopped: `${prefix}:portal:${portal}:stopped`,
    notifyStopped: `${prefix}:portal:${portal}:notify_stopped`,
    backoff: `${prefix}:portal:${portal}:backoff`,
    lastPollOk: `${prefix}:portal:${portal}:last_poll_ok`,
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
 * each further consecutive failure doubles the pause, from `baseDelayMs` up to `maxDelayMs`. A 429's or
 * 503's Retry-After is honoured when it asks for longer (capped at `maxDelayMs`). A successful poll
 * clears it. Manual polls (`partnerd poll`) ignore it.
 */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseDelayMs: 60_000, maxDelayMs: 15 * 60_000 };

export function backoffPause(failures: number, policy: BackoffPolicy, retryAfterMs?: number): number {
  const exp = failures <= 1 ? 0 : backoffDelay(failures - 1, policy);
  return Math.max(exp, Math.min(retryAfterMs ?? 0, policy.maxDelayMs));
}

export async function stoppedInfo(redis: Redis, prefix: string, portal: PullPortal, which: 'stopped' | 'notifyStopped' = 'stopped'): Promise<StoppedInfo | undefined> {
  const raw = await redis.get(portalKeys(prefix, portal)[which]);
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

/**
 * Stops telling this portal outcomes after it refused our credentials (401/403) on a delivery or
 * marking: every further send would be refused too. The outcomes stay queued (never dropped)
 * until `partnerd resume portal`. True only for the caller that set it (one alert).
 */
export async function markNotifyStopped(redis: Redis, prefix: string, portal: PullPortal, info: StoppedInfo): Promise<boolean> {
  return (await redis.set(portalKeys(prefix, portal).notifyStopped, JSON.stringify(info), 'NX')) === 'OK';
}

/** A poll read every page and stored every order: shared by the replicas, read by /metrics. */
export async function recordPollSuccess(redis: Redis, prefix: string, portal: PullPortal, at: number): Promise<void> {
  await redis.set(portalKeys(prefix, portal).lastPollOk, String(at));
}

/** ms since epoch of the last successful poll, if there was one. */
export async function lastPollSuccess(redis: Redis, prefix: string, portal: PullPortal): Promise<number | undefined> {
  const v = await redis.get(portalKeys(prefix, portal).lastPollOk);
  return v === null ? undefined : Number(v);
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
  /** Telling outcomes stopped after a 401/403. */
  notifyStopped?: StoppedInfo;
  backoff?: BackoffState;
  /** ISO time of the last successful poll. */
  lastPollSuccessAt?: string;
  /** Wellnet only: the stored cursor. */
  cursor?: string;
}

export async function portalStatus(services: { redis: Redis; ledger: Ledger; config: { redis: { prefix: string } } }, portal: PullPortal): Promise<PortalStatus> {
  const prefix = services.config.redis.prefix;
  const [stopped, notifyStopped, backoff, cursor, lastOk] = await Promise.all([
    stoppedInfo(services.redis, prefix, portal),
    stoppedInfo(services.redis, prefix, portal, 'notifyStopped'),
    readBackoff(services.redis, prefix, portal),
    services.ledger.cursor(portal),
    lastPollSuccess(services.redis, prefix, portal),
  ]);
  return {
    portal, ...(stopped ? { stopped } : {}), ...(notifyStopped ? { notifyStopped } : {}), ...(backoff ? { backoff } : {}),
    ...(cursor !== undefined ? { cursor } : {}), ...(lastOk !== undefined ? { lastPollSuccessAt: new Date(lastOk).toISOString() } : {}),
  };
}

/**
 * Lets polling and notifying of a stopped portal start again (after the token or client
 * credentials were fixed): clears both stop flags and any back-off. Returns whether polling and
 * notifying were stopped. The cursor is kept: polling continues where it stopped, and the
 * outcomes waiting in the notification queue are sent.
 */
export async function resumePortal(
  services: { redis: Redis; logger: Logger; config: { redis: { prefix: string } } },
  portal: PullPortal,
): Promise<{ wasStopped: boolean; notifyWasStopped: boolean }> {
  const keys = portalKeys(services.config.redis.prefix, portal);
  const [removed, notifyRemoved] = await Promise.all([services.redis.del(keys.stopped), services.redis.del(keys.notifyStopped), services.redis.del(keys.backoff)]);
  const wasStopped = removed === 1;
  const notifyWasStopped = notifyRemoved === 1;
  logEvent(services.logger, 'portal.resumed', { portal, wasStopped, notifyWasStopped });
  return { wasStopped, notifyWasStopped };
}
