import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { BrpClient } from '../brp/brp-client.js';
import { classifyOutcome, type Outcome } from '../brp/classify-outcome.js';
import type { OrderDocumentFactory } from '../brp/order-document.js';
import type { Config, TenantConfig } from '../config/schema.js';
import { formatOrderKey, type CanonicalOrder } from '../domain/canonical-order.js';
import { isPartnerdError } from '../errors.js';
import type { Ledger, OrderOutcome } from '../ledger/ledger.js';
import type { AttemptRecord } from '../ledger/order-state.js';
import { logEvent } from '../observability/log-event.js';
import { observeBrpCall } from '../observability/metrics.js';
import { backoffDelay } from './backoff.js';
import { brpQueueName, bullPrefix } from './queue-names.js';
import type { TenantPause } from './tenant-pause.js';

/** Thrown to make BullMQ retry the job with back-off; carries no personal data. */
export class TransientBrpError extends Error {
  override name = 'TransientBrpError';
}

/** The raw body of an unreadable 2xx is kept for review, but not without bound. */
const MAX_RAW_RESPONSE = 64 * 1024;

export interface BrpWorkerDeps {
  config: Config;
  tenant: TenantConfig;
  connection: Redis;
  ledger: Ledger;
  client: BrpClient;
  documents: OrderDocumentFactory;
  pause: TenantPause;
  logger: Logger;
}

/**
 * Carries out one tenant's submissions: open an attempt in the ledger, POST to BRP, classify the
 * answer, record it, and tell BullMQ whether to retry. The ledger, not BullMQ, is the truth about
 * an order: a job that finds its order finished does nothing, and a job that finds an attempt
 * left open by a dead worker never resends blindly.
 */
export function createBrpWorker(deps: BrpWorkerDeps): Worker<CanonicalOrder> {
  const { config, tenant, ledger, client, documents, pause, logger } = deps;
  // Every order event names its tenant itself (no child logger binding it: the key would be written twice).
  const ids = (order: CanonicalOrder) => ({ tenant: order.tenant, portal: order.portal, ordernr: order.ordernr });

  const worker: Worker<CanonicalOrder> = new Worker<CanonicalOrder>(
    brpQueueName(tenant.name),
    async (job) => processJob(job),
    {
      connection: deps.connection,
      prefix: bullPrefix(config.redis.prefix),
      concurrency: tenant.concurrency,
      limiter: { max: tenant.rateLimit.max, duration: tenant.rateLimit.durationMs },
      lockDuration: config.queue.lockDurationMs,
      stalledInterval: Math.max(1_000, Math.floor(config.queue.lockDurationMs / 2)),
      maxStalledCount: config.queue.maxStalledCount,
      autorun: false,
      settings: { backoffStrategy: (attemptsMade: number) => backoffDelay(attemptsMade, tenant.retry) },
    },
  );

  async function processJob(job: Job<CanonicalOrder>): Promise<string> {
    const order = job.data;
    const key = formatOrderKey(order);

    let begun = await ledger.beginAttempt(key);
    if (begun.kind === 'done') return `skipped: ${begun.state}`;

    if (begun.kind === 'open') {
      // The previous run of this job died between recording its attempt and recording the
      // answer: BRP may have created the order. Resending could invoice the employer twice.
      const interrupted: AttemptRecord = {
        n: begun.attempt, startedAt: begun.openedAt, class: 'interrupted', detail: 'worker stopped during the call',
      };
      if (tenant.inDoubtPolicy === 'hold') {
        if (await ledger.finishAttempt(key, 'in_doubt', interrupted, { lastError: 'attempt interrupted' })) {
          logEvent(logger, 'order.in_doubt', { ...ids(order), attempt: begun.attempt, reason: 'attempt interrupted' });
        }
        return 'in_doubt';
      }
      await ledger.finishAttempt(key, 'retrying', interrupted);
      begun = await ledger.beginAttempt(key);
      if (begun.kind !== 'started') return `skipped: ${begun.kind}`;
    }

    const attempt = begun.attempt;
    const startedAt = new Date().toISOString();

    let xml: string;
    try {
      xml = documents.renderForSending(order, begun.xmlProof, begun.xml);
    } catch (err) {
      // Checked at intake already; only a replaced XSD can make this happen. Never send it.
      if (!isPartnerdError(err, 'PD_XSD_INVALID')) throw err;
      const brpError = { errors: [{ message: 'order no longer satisfies the configured XSD', debugInfo: err.message.slice(0, 500) }] };
      await ledger.finishAttempt(key, 'rejected', { n: attempt, startedAt, class: 'rejected', detail: 'PD_XSD_INVALID' }, { brpError });
      logEvent(logger, 'order.rejected', { ...ids(order), attempt, reason: 'PD_XSD_INVALID' });
      return 'rejected';
    }

    const callStarted = performance.now();
    const exchange = await client.createPartnerOrder(order.portal, xml);
    const durationMs = Math.round(performance.now() - callStarted);
    const outcome = classifyOutcome(exchange);
    observeBrpCall(tenant.name, outcome.class, durationMs / 1000);
    return record(job, order, key, attempt, startedAt, outcome, durationMs);
  }

  async function record(job: Job<CanonicalOrder>, order: CanonicalOrder, key: string, n: number, startedAt: string, outcome: Outcome, durationMs: number): Promise<string> {
    const httpStatus = 'status' in outcome ? outcome.status : undefined;
    const call = { ...ids(order), attempt: n, durationMs };
    const attempt = (detail?: string): AttemptRecord => ({ n, startedAt, class: outcome.class, httpStatus, detail });

    switch (outcome.class) {
      case 'confirmed': {
        const { order: o, invoice } = outcome.confirmation;
        const fields: OrderOutcome = {
          brpOrderNumber: o.number, brpCreatedAt: o.created, sumOre: o.sumOre, sumExVatOre: o.sumExVatOre, vatSums: o.vatSums,
          invoiceNumber: invoice.number, ocr: invoice.ocrNumber, invoiceTotalOre: invoice.totalAmountOre,
          invoiceDate: invoice.invoiceDate, dueDate: invoice.dueDate,
        };
        if (await ledger.finishAttempt(key, 'confirmed', attempt(), fields, { dropPayload: true })) {
          logEvent(logger, 'order.confirmed', {
            ...call, brpOrderNumber: fields.brpOrderNumber, invoiceNumber: fields.invoiceNumber, ocr: fields.ocr, amountOre: fields.sumOre, dueDate: fields.dueDate,
          });
        }
        return 'confirmed';
      }
      case 'confirmed_unparsed': {
        const fields: OrderOutcome = { review: outcome.reason, rawResponse: outcome.rawBody.slice(0, MAX_RAW_RESPONSE) };
        if (await ledger.finishAttempt(key, 'confirmed', attempt(outcome.reason), fields)) {
          logEvent(logger, 'order.confirmed_unparsed', { ...call, httpStatus, reason: outcome.reason });
        }
        return 'confirmed';
      }
      case 'rejected': {
        const brpError = { status: outcome.status, errors: outcome.errors };
        const first = outcome.errors[0];
        if (await ledger.finishAttempt(key, 'rejected', attempt(first ? `${first.code ?? ''} ${first.message}`.trim() : undefined), { brpError })) {
          logEvent(logger, 'order.rejected', { ...call, httpStatus, brpErrorCode: first?.code });
        }
        return 'rejected';
      }
      case 'auth_failed': {
        // Not the order's fault: put it back without using an attempt and stop the tenant.
        await ledger.finishAttempt(key, 'queued', attempt(`HTTP ${outcome.status}`));
        await pause.pause(tenant.name, { httpStatus: outcome.status, reason: outcome.errors[0]?.message ?? `HTTP ${outcome.status}` });
        // The paused queue keeps the other jobs; this one goes back to wait. The short limit only
        // stops this worker from grabbing more before the pause has reached it.
        await worker.rateLimit(1_000);
        throw Worker.RateLimitError();
      }
      case 'throttled': {
        const wait = outcome.retryAfterMs ?? backoffDelay(1, tenant.retry);
        await ledger.finishAttempt(key, 'queued', attempt(`retry after ${wait} ms`));
        logEvent(logger, 'order.throttled', { ...call, httpStatus, reason: `retry after ${wait} ms` });
        await worker.rateLimit(wait);
        throw Worker.RateLimitError();
      }
      case 'in_doubt':
        if (tenant.inDoubtPolicy === 'hold') {
          if (await ledger.finishAttempt(key, 'in_doubt', attempt(outcome.reason), { lastError: outcome.reason })) {
            logEvent(logger, 'order.in_doubt', { ...call, reason: outcome.reason });
          }
          return 'in_doubt';
        }
        return retryOrDie(job, order, key, attempt(outcome.reason), outcome.reason, durationMs);
      case 'transient':
        return retryOrDie(job, order, key, attempt(outcome.reason), outcome.reason, durationMs);
    }
  }

  async function retryOrDie(job: Job<CanonicalOrder>, order: CanonicalOrder, key: string, attempt: AttemptRecord, reason: string, durationMs: number): Promise<string> {
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (last) {
      if (await ledger.finishAttempt(key, 'dead', attempt, { lastError: reason })) {
        logEvent(logger, 'order.dead', { ...ids(order), attempt: attempt.n, durationMs, httpStatus: attempt.httpStatus, reason });
      }
      return 'dead';
    }
    await ledger.finishAttempt(key, 'retrying', attempt, { lastError: reason });
    logEvent(logger, 'order.retrying', { ...ids(order), attempt: attempt.n, durationMs, httpStatus: attempt.httpStatus, reason });
    throw new TransientBrpError(reason);
  }

  worker.on('error', (err) => logEvent(logger, 'worker.error', { tenant: tenant.name, err }));
  return worker;
}
