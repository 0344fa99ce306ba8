import type { Redis } from 'ioredis';
import { parseOrderKey } from '../../domain/canonical-order.js';
import type { Ledger } from '../../ledger/ledger.js';
import { logEvent } from '../../observability/log-event.js';
import { DeferredEffects } from '../../queue/commit-effects.js';
import type { TenantQueues } from '../../queue/tenant-queues.js';
import { describeErrors, type OrderRead, type Unreadable } from '../payload/read-portal-payload.js';
import { isPortalHttpError, PortalHttpError, type PullPortal } from '../../portal-clients/portal-http.js';
import { clearBackoff, DEFAULT_BACKOFF, markStopped, readBackoff, recordFailure, recordPollSuccess, stoppedInfo } from '../../portal-clients/portal-state.js';
import type { BackoffPolicy } from '../../queue/backoff.js';
import { ingestPullOrder, type PullOrderOutcome, type PullOrderServices } from './pull-order.js';

/**
 * What one poll of a pull portal did:
 *  - `ok`       every page was read and every order stored (and queued, or recorded as an outcome)
 *  - `stopped`  the portal refused our credentials (now or earlier): no polling until resumePortal
 *  - `backoff`  429 / 5xx / network / unusable answer: the run ended; the next runs back off
 *  - `skipped`  a scheduled run inside the back-off pause: no request was made
 *  - `busy`     (pollOnce) another run of this portal holds the run lock
 *  - `failed`   our side failed (e.g. Redis): the run ended without moving the cursor
 * Counts are of this run; `orders` is every payload read (including duplicates).
 */
export type PollOutcome = 'ok' | 'stopped' | 'backoff' | 'skipped' | 'busy' | 'failed';

export interface PollSummary {
  portal: PullPortal;
  outcome: PollOutcome;
  pages: number;
  orders: number;
  accepted: number;
  duplicate: number;
  unroutable: number;
  rejected: number;
  /** Payloads without a readable order id (logged, not recorded). */
  skipped: number;
  /** Wellnet: the stored cursor moved in this run. */
  cursorAdvanced?: boolean;
  /** Why it was not `ok` (portal, operation, status: never a token or personal data). */
  error?: string;
  httpStatus?: number;
  /** `backoff` / `skipped`: scheduled runs wait until then (ISO). */
  retryAt?: string;
}

export function emptySummary(portal: PullPortal, outcome: PollOutcome = 'ok'): PollSummary {
  return { portal, outcome, pages: 0, orders: 0, accepted: 0, duplicate: 0, unroutable: 0, rejected: 0, skipped: 0 };
}

/** What a poller needs (the daemon's Services has all of it): a page's orders go through the intake in one ledger transaction, their jobs to the queues after it. */
export interface PollerServices extends PullOrderServices {
  redis: Redis;
  queues: TenantQueues;
}

/**
 * Stores one page's payloads in one ledger transaction, together with `alsoInTransaction` (a
 * Wellnet cursor): all of it commits, or none of it and the page is read again. Returns once it
 * has committed; the jobs and log lines of its orders follow the commit.
 */
export type StorePage = (orders: readonly OrderRead[], alsoInTransaction?: (tx: Ledger) => Promise<void>) => Promise<void>;

export interface PollerOptions {
  backoff?: BackoffPolicy;
  /** Clock for back-off decisions (tests); default Date.now. */
  now?: () => number;
}

export interface RunOptions {
  /** Scheduled runs honour the back-off pause; manual polls do not. Default false. */
  respectBackoff?: boolean;
}

/**
 * The part every pull portal shares: the stop flag, the back-off, and turning each payload into a
 * ledger record. Subclasses read the pages (fetchAll) and call `ingest` for every payload, in order.
 */
export abstract class PortalPoller {
  protected readonly prefix: string;
  protected readonly backoff: BackoffPolicy;
  protected readonly clock: () => number;

  constructor(readonly portal: PullPortal, protected readonly services: PollerServices, options: PollerOptions = {}) {
    this.prefix = services.config.redis.prefix;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.clock = options.now ?? Date.now;
  }

  /**
   * Reads every page (with the payload reader `render` uses too) and stores each with
   * `storePage`, in order; returns once all are stored. Throws on failures; an unreadable page is
   * `unreadablePage`.
   */
  protected abstract fetchAll(summary: PollSummary, storePage: StorePage): Promise<void>;

  async run(options: RunOptions = {}): Promise<PollSummary> {
    const { redis, logger } = this.services;
    const portal = this.portal;
    const summary = emptySummary(portal);

    const stopped = await stoppedInfo(redis, this.prefix, portal);
    if (stopped) {
      logEvent(logger, 'portal.poll_skipped', { portal, reason: 'stopped' });
      return { ...summary, outcome: 'stopped', error: stopped.reason, ...(stopped.status ? { httpStatus: stopped.status } : {}) };
    }
    const startedAt = this.clock();
    if (options.respectBackoff) {
      const b = await readBackoff(redis, this.prefix, portal);
      if (b && startedAt < b.until) {
        const retryAt = new Date(b.until).toISOString();
        logEvent(logger, 'portal.poll_skipped', { portal, reason: 'backoff', failures: b.failures, retryAt });
        return { ...summary, outcome: 'skipped', retryAt };
      }
    }

    const storePage: StorePage = async (orders, alsoInTransaction) => {
      const effects = new DeferredEffects();
      const results = await this.services.ledger.transaction(async (tx) => {
        const scoped = { ...this.services, ledger: tx, portalIntake: this.services.portalIntake.withLedger(tx, effects) };
        const out: PullOrderOutcome[] = [];
        for (const order of orders) out.push((await ingestPullOrder(scoped, portal, order, new Date())).outcome);
        await alsoInTransaction?.(tx);
        return out;
      });
      for (const outcome of results) {
        summary.orders++;
        summary[outcome]++;
      }
      await effects.flush(this.services.queues, (key, err) => {
        const k = parseOrderKey(key);
        logEvent(logger, 'order.enqueue_deferred', { tenant: k?.tenant ?? '', portal, ordernr: k?.ordernr ?? '', reason: (err as { code?: string }).code ?? (err as Error).name });
      });
    };

    try {
      await this.fetchAll(summary, storePage);
      await clearBackoff(redis, this.prefix, portal);
      await recordPollSuccess(redis, this.prefix, portal, this.clock());
      summary.outcome = 'ok';
      logEvent(logger, 'portal.poll', counts(summary));
      return summary;
    } catch (err) {
      if (isPortalHttpError(err)) {
        summary.error = err.message;
        if (err.status !== undefined) summary.httpStatus = err.status;
        if (err.kind === 'auth') {
          summary.outcome = 'stopped';
          const first = await markStopped(redis, this.prefix, portal, { at: new Date(this.clock()).toISOString(), reason: err.message, ...(err.status ? { status: err.status } : {}) });
          if (first) {
            logEvent(logger, 'portal.stopped', { ...counts(summary), httpStatus: err.status, reason: err.message, action: `fix the credentials, then: partnerd resume portal ${portal}` });
          }
          return summary;
        }
        const state = await recordFailure(redis, this.prefix, portal, this.backoff, this.clock(), err.retryAfterMs);
        summary.outcome = 'backoff';
        summary.retryAt = new Date(state.until).toISOString();
        logEvent(logger, 'portal.backoff', { ...counts(summary), kind: err.kind, httpStatus: err.status, code: err.code, failures: state.failures, retryAt: summary.retryAt });
        return summary;
      }
      summary.outcome = 'failed';
      summary.error = err instanceof Error ? err.message : String(err);
      logEvent(logger, 'portal.poll_failed', { ...counts(summary), reason: summary.error });
      return summary;
    }
  }
}

/**
 * A page that cannot be read at all (not UTF-8, not JSON, not the documented shape) is an answer
 * we cannot use: the run ends and backs off, and nothing of the page is stored or altered.
 */
export function unreadablePage(portal: PullPortal, page: Unreadable): PortalHttpError {
  return new PortalHttpError(portal, 'protocol', `${portal} poll: HTTP 200 with a page that cannot be read: ${describeErrors(page.errors)}`, 200);
}

function counts(s: PollSummary) {
  return {
    portal: s.portal, pages: s.pages, orders: s.orders, accepted: s.accepted, duplicate: s.duplicate,
    unroutable: s.unroutable, rejected: s.rejected, skipped: s.skipped,
    ...(s.cursorAdvanced !== undefined ? { cursorAdvanced: s.cursorAdvanced } : {}),
  };
}
