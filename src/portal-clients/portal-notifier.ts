import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Ledger, LedgerRecord } from '../ledger/ledger.js';
import { logEvent } from '../observability/log-event.js';
import { backoffDelay, type BackoffPolicy } from '../queue/backoff.js';
import { EpassiClient, type EpassiMarking } from './epassi-client.js';
import { isPortalHttpError, type PullPortal } from './portal-http.js';
import { markNotifyStopped, stoppedInfo } from './portal-state.js';
import { WellnetClient, type WellnetAcknowledgement } from './wellnet-client.js';
import { PartnerdError } from '../errors.js';

/**
 * Tells the pull portals each final outcome (shared/portals/wellnet.md "Acknowledging",
 * epassi.md "Marking the outcome").
 *
 * The ledger queues the notification atomically with the state change (`{prefix}:notify:due`,
 * when a wellnet or epassi order reaches confirmed or rejected). The notifier claims due keys in
 * batches with a lease (a process that dies mid-send leaves them due again when the lease ends),
 * sends each, and then either marks it done (2xx, or 409: the portal has it already) or failed
 * with its next due time: exponential back-off with jitter, capped. A notification is never
 * dropped: it is retried until the portal takes it. Every replica may run a notifier: claiming is
 * atomic, so a key is sent by one of them at a time.
 *
 *   Wellnet  POST  {baseUrl}/api/v1/orders/{id}/delivery
 *            { status: delivered, supplierOrderNumber, invoiceNumber, ocr } | { status: rejected, reason }
 *   Epassi   PATCH {baseUrl}/v2/purchases/{purchaseId}
 *            { status: DELIVERED, merchantReference, invoiceNumber, ocr } | { status: REJECTED, reason }
 *
 * A 401/403 from a portal (its token or client credentials refused) stops notifying that portal,
 * as a 401 stops polling it: one `portal.notify_stopped` alert, the flag in Redis for every
 * replica, its outcomes kept due (never dropped) but not sent until `partnerd resume portal`.
 *
 * The rejection reason is built from the recorded error messages and BRP error codes (never
 * BRP's debug info, never personal data): "Unknown product (BRP error 1030)".
 */


export interface PortalNotifierOptions {
  /** Keys claimed per batch; default 20. */
  batchSize?: number;
  /** How long a claimed key is ours before it is due again; default 60 s (longer than a send can take). */
  leaseMs?: number;
  /** Sends in flight at once; default 4. */
  concurrency?: number;
  /** Back-off of failed sends; default 5 s doubling up to 15 min, ±20 % jitter. */
  retry?: BackoffPolicy;
  /** Batches per runOnce at most (the next run continues); default 50. */
  maxBatchesPerRun?: number;
  /** Clients to use (else built from the configuration and closed by stop()). */
  clients?: { wellnet?: WellnetClient; epassi?: EpassiClient };
}

export const DEFAULT_NOTIFY_RETRY: BackoffPolicy = { baseDelayMs: 5_000, maxDelayMs: 15 * 60_000, jitter: 0.2 };

export interface NotifySummary {
  claimed: number;
  done: number;
  failed: number;
  /** Claimed but not sent: the portal's notifying is stopped (due again when the lease ends). */
  skipped: number;
}

const MAX_REASON = 500;

/** What the notifier needs (the daemon's Services has all of it): the outbox in the ledger, the stop flags in Redis. */
export interface NotifierServices {
  config: Config;
  ledger: Ledger;
  logger: Logger;
  redis: Redis;
}

export class PortalNotifier {
  private readonly clients: { wellnet?: WellnetClient; epassi?: EpassiClient };
  private readonly ownsClients: boolean;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly concurrency: number;
  private readonly retry: BackoffPolicy;
  private readonly maxBatches: number;
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<NotifySummary> | undefined;
  private stopped = false;

  constructor(private readonly services: NotifierServices, options: PortalNotifierOptions = {}) {
    const { config } = services;
    if (options.clients) {
      this.clients = options.clients;
      this.ownsClients = false;
    } else {
      const w = config.portals.wellnet;
      const e = config.portals.epassi;
      this.clients = {
        ...(w ? { wellnet: new WellnetClient(w) } : {}),
        ...(e ? { epassi: new EpassiClient(e) } : {}),
      };
      this.ownsClients = true;
    }
    this.batchSize = options.batchSize ?? 20;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.retry = options.retry ?? DEFAULT_NOTIFY_RETRY;
    this.maxBatches = options.maxBatchesPerRun ?? 50;
  }

  /** Sends every notification due now (up to maxBatchesPerRun batches). One run at a time per notifier. */
  runOnce(): Promise<NotifySummary> {
    this.current ??= this.drain().finally(() => { this.current = undefined; });
    return this.current;
  }

  private async drain(): Promise<NotifySummary> {
    const total: NotifySummary = { claimed: 0, done: 0, failed: 0, skipped: 0 };
    // Whether each portal's notifying is stopped, read once per run (and set when a send is refused).
    const stopped = new Map<string, Promise<boolean>>();
    const isStopped = (portal: string) => {
      let s = stopped.get(portal);
      if (!s) {
        s = (portal === 'wellnet' || portal === 'epassi')
          ? stoppedInfo(this.services.redis, this.services.config.redis.prefix, portal, 'notifyStopped').then((i) => i !== undefined)
          : Promise.resolve(false);
        stopped.set(portal, s);
      }
      return s;
    };
    for (let b = 0; b < this.maxBatches && !this.stopped; b++) {
      const keys = await this.services.ledger.claimDueNotifications(this.batchSize, this.leaseMs, new Date());
      if (keys.length === 0) break;
      total.claimed += keys.length;
      let next = 0;
      const worker = async () => {
        while (next < keys.length) {
          const key = keys[next++]!;
          const result = await this.notify(key, isStopped, (portal) => stopped.set(portal, Promise.resolve(true)));
          total[result]++;
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.concurrency, keys.length) }, worker));
      if (keys.length < this.batchSize) break;
    }
    return total;
  }

  /**
   * One key: `done` when the portal has the outcome (or there is nothing to tell), `failed` when it
   * is due again later, `skipped` when the portal's notifying is stopped (left leased, not touched).
   */
  private async notify(key: string, isStopped: (portal: string) => Promise<boolean>, markStopped: (portal: string) => void): Promise<'done' | 'failed' | 'skipped'> {
    const { ledger, logger, redis, config } = this.services;
    let rec: LedgerRecord | undefined;
    try {
      rec = await ledger.get(key);
      if (!rec) {
        logEvent(logger, 'portal.notify_orphan', { key });
        await ledger.notificationDone(key);
        return 'done';
      }
      if (rec.state !== 'confirmed' && rec.state !== 'rejected') {
        // Moved on since (an operator re-queued it): it is queued again when it reaches an outcome.
        logEvent(logger, 'portal.notify_not_final', { key, state: rec.state });
        await ledger.notificationDone(key);
        return 'done';
      }
      if (await isStopped(rec.portal)) return 'skipped';
      if (rec.state === 'confirmed' && (!rec.brpOrderNumber || !rec.invoiceNumber || !rec.ocr)) {
        // E.g. a confirmation BRP sent unreadable, resolved by an operator without the numbers:
        // the portal needs them, so it waits (retried, never dropped) until they are recorded.
        throw new PartnerdError('PD_ILLEGAL_TRANSITION', `${key} is confirmed without BRP order number, invoice number and OCR: record them first (partnerd resolve)`);
      }
      const portal = rec.portal as PullPortal;
      const status = await this.send(portal, rec);
      await ledger.notificationDone(key);
      logEvent(logger, 'portal.notified', { portal, tenant: rec.tenant, ordernr: rec.ordernr, key, outcome: rec.state, httpStatus: status, attempts: (rec.notifyAttempts ?? 0) + 1 });
      return 'done';
    } catch (err) {
      const attempt = (rec?.notifyAttempts ?? 0) + 1;
      const delay = backoffDelay(attempt, this.retry);
      const retryAt = new Date(Date.now() + delay);
      const detail = isPortalHttpError(err) ? err.message : err instanceof Error ? err.message : String(err);
      try {
        await ledger.notificationFailed(key, retryAt, detail);
      } catch {
        // Redis is failing too: the lease makes the key due again anyway.
      }
      logEvent(logger, 'portal.notify_failed', {
        key, portal: rec?.portal, ordernr: rec?.ordernr, attempt, retryAt: retryAt.toISOString(), reason: detail,
        ...(isPortalHttpError(err) ? { kind: err.kind, httpStatus: err.status, code: err.code } : {}),
      });
      if (isPortalHttpError(err, 'auth') && rec) {
        const portal = rec.portal as PullPortal;
        markStopped(portal);
        const info = { at: new Date().toISOString(), reason: err.message, ...(err.status ? { status: err.status } : {}) };
        if (await markNotifyStopped(redis, config.redis.prefix, portal, info).catch(() => false)) {
          logEvent(logger, 'portal.notify_stopped', {
            portal, httpStatus: err.status, reason: err.message, action: `fix the credentials, then: partnerd resume portal ${portal}`,
          });
        }
      }
      return 'failed';
    }
  }

  private async send(portal: PullPortal, rec: LedgerRecord): Promise<number> {
    if (portal === 'wellnet') {
      const client = this.clients.wellnet;
      if (!client) throw new PartnerdError('PD_CONFIG_INVALID', 'portals.wellnet is not configured (or is switched off): cannot acknowledge');
      return client.acknowledge(rec.ordernr, wellnetAcknowledgement(rec));
    }
    if (portal === 'epassi') {
      const client = this.clients.epassi;
      if (!client) throw new PartnerdError('PD_CONFIG_INVALID', 'portals.epassi is not configured (or is switched off): cannot mark the purchase');
      return client.markPurchase(rec.ordernr, epassiMarking(rec));
    }
    throw new PartnerdError('PD_INVALID_ARGUMENT', `portal ${String(portal)} is not told outcomes by partnerd`);
  }

  /** Runs runOnce every `intervalMs` (never overlapping itself). */
  start(intervalMs = 2_000): void {
    if (this.timer) return;
    this.stopped = false;
    this.timer = setInterval(() => {
      if (this.current || this.stopped) return;
      this.runOnce().catch((err) => logEvent(this.services.logger, 'portal.notify_error', { reason: err instanceof Error ? err.message : String(err) }));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the timer, waits for a run in progress, closes the clients it built. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.current?.catch(() => undefined);
    if (this.ownsClients) await Promise.all([this.clients.wellnet?.close(), this.clients.epassi?.close()]);
  }
}

export function wellnetAcknowledgement(rec: LedgerRecord): WellnetAcknowledgement {
  if (rec.state === 'confirmed') {
    return { status: 'delivered', supplierOrderNumber: rec.brpOrderNumber ?? '', invoiceNumber: rec.invoiceNumber ?? '', ocr: rec.ocr ?? '' };
  }
  return { status: 'rejected', reason: rejectionReason(rec) };
}

export function epassiMarking(rec: LedgerRecord): EpassiMarking {
  if (rec.state === 'confirmed') {
    return { status: 'DELIVERED', merchantReference: rec.brpOrderNumber ?? '', invoiceNumber: rec.invoiceNumber ?? '', ocr: rec.ocr ?? '' };
  }
  return { status: 'REJECTED', reason: rejectionReason(rec) };
}

/**
 * "Unknown product (BRP error 1030)"; several errors joined with "; ". An order partnerd refused
 * before BRP (invalid) reads "Invalid order: {portal field path}: {problem}; …". BRP's debug
 * info is left out (it may quote the request).
 */
export function rejectionReason(rec: Pick<LedgerRecord, 'brpError' | 'rejectedBy'>): string {
  const errors = rec.brpError?.errors ?? [];
  const parts = errors
    .map((e) => {
      const message = e.message.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
      return e.code !== undefined ? `${message || 'Error'} (BRP error ${e.code})` : message;
    })
    .filter((p) => p !== '');
  let reason: string;
  if (rec.rejectedBy === 'partnerd') reason = `Invalid order: ${parts.join('; ') || 'failed validation'}`;
  else if (parts.length > 0) reason = parts.join('; ');
  else reason = rec.brpError?.status ? `Rejected by BRP (HTTP ${rec.brpError.status})` : 'Rejected by BRP';
  return reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason;
}
