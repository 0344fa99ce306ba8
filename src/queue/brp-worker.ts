import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { BrpClient } from '../brp/brp-client.js';
import { classifyOutcome, type Outcome } from '../brp/classify-outcome.js';
import type { OrderDocumentFactory } from '../brp/order-document.js';
import type { Config, TenantConfig } from '../config/schema.js';
import { parseOrderKey, type OrderKey } from '../domain/canonical-order.js';
import { isPartnerdError, PartnerdError } from '../errors.js';
import { isDatabaseUnavailable } from '../ledger/database.js';
import type { Ledger, OrderOutcome } from '../ledger/ledger.js';
import type { AttemptRecord, OrderState } from '../ledger/order-state.js';
import { logEvent } from '../observability/log-event.js';
import { observeBrpCall } from '../observability/metrics.js';
import { backoffDelay } from './backoff.js';
import { brpQueueName, bullPrefix } from './queue-names.js';
import type { SlidingWindowLimiter } from './sliding-window-limiter.js';
import { breakerSignal, TenantBreaker } from './tenant-breaker.js';
import type { OrderJob } from './tenant-queues.js';
import type { TenantPause } from './tenant-pause.js';

/** Thrown to make BullMQ retry the job with back-off; carries no personal data. */
export class TransientBrpError extends Error {
  override name = 'TransientBrpError';
}

/** The raw body of an unreadable 2xx is kept for review, but not without bound. */
const MAX_RAW_RESPONSE = 64 * 1024;

/** While the ledger cannot be reached, this worker waits this long before trying again. */
const LEDGER_UNAVAILABLE_WAIT_MS = 1_000;

/**
 * The longest a job waits in the worker for its slot of the rate budget. A slot further away is
 * not taken: the worker stops fetching until then (a long Retry-After, a low budget).
 */
const MAX_SLOT_WAIT_MS = 5_000;

/**
 * How long before its slot a job opens its attempt. What BRP's rate limit counts is when calls
 * arrive, and the limiter's margin must absorb the spread between a slot and its arrival: opening
 * the attempt is a synchronous commit in PostgreSQL, the step whose time varies most, so it is
 * done while the slot is still ahead, and the call leaves at its slot. The cost: a process that
 * dies in these few milliseconds leaves an attempt open for a call that was never made (in
 * doubt, as any interrupted attempt; never a duplicate).
 */
const OPEN_AHEAD_MS = 50;

/** How often a job that keeps reaching its slot late takes a new one before it sends anyway. */
const MAX_SLOT_RETAKES = 3;

/**
 * A slot of the rate budget on this process' clock. Redis granted it for an instant between
 * `asked + waitMs` and `answered + waitMs`: the call never leaves before `notBefore` (the later
 * bound) and counts as late after `onTimeUntil` (the earlier bound plus the allowance). Lateness
 * matters only where the calls after this one are scheduled close behind it (`crowded`): the
 * window is at least half used, or calls are queued for the budget.
 */
interface SlotTimes { id: string; notBefore: number; onTimeUntil: number; crowded: boolean }
type SlotOrRefusal = SlotTimes | { refusedForMs: number };

export interface BrpWorkerDeps {
  config: Config;
  tenant: TenantConfig;
  connection: Redis;
  ledger: Ledger;
  limiter: SlidingWindowLimiter;
  client: BrpClient;
  documents: OrderDocumentFactory;
  pause: TenantPause;
  logger: Logger;
}

/**
 * The longest an attempt can legitimately stay open: connecting, waiting for BRP's answer, and
 * retrying to record it while the ledger is unreachable. An attempt open for longer belongs to a
 * worker that died mid-call. One open for less may still be in flight in another process (a
 * Redis blip made BullMQ hand the job out again): it is waited for, never declared in-doubt.
 */
export function maxAttemptMs(config: Config, tenant: TenantConfig): number {
  return tenant.timeouts.connectMs + tenant.timeouts.responseMs + config.queue.lockDurationMs + 1_000;
}

/**
 * Carries out one tenant's submissions: take a slot of the tenant's rate budget, open an attempt
 * in the ledger, POST to BRP, classify the answer, record it, and tell BullMQ whether to retry.
 * The ledger, not BullMQ, is the truth about an order: a job that finds its order finished does
 * nothing, and a job that finds an attempt left open by a dead worker never resends blindly.
 */
export function createBrpWorker(deps: BrpWorkerDeps): Worker<OrderJob> {
  const { config, tenant, ledger, limiter, client, documents, pause, logger } = deps;
  // Every order event names its tenant itself (no child logger binding it: the key would be written twice).
  const ids = (o: OrderKey) => ({ tenant: o.tenant, portal: o.portal, ordernr: o.ordernr });
  const budget = tenant.rateLimit;
  const maxSlotWaitMs = Math.min(MAX_SLOT_WAIT_MS, Math.floor(config.queue.lockDurationMs / 4));
  // Half the margin: the other half is for the way to BRP (the request, BRP's own reading of it).
  const lateAllowanceMs = Math.max(5, budget.marginMs / 2);
  const breaker = new TenantBreaker(tenant.breaker);
  let holdUntil = 0;
  let holdWhy: 'hold' | 'suspect' = 'hold';
  let holdTimer: NodeJS.Timeout | undefined;
  let closing = false;

  const worker: Worker<OrderJob> = new Worker<OrderJob>(
    brpQueueName(tenant.name),
    async (job, token) => processJob(job, token),
    {
      connection: deps.connection,
      prefix: bullPrefix(config.redis.prefix),
      concurrency: tenant.concurrency,
      // No BullMQ limiter: its fixed windows let twice the budget through at a boundary. The
      // budget is the sliding window (SlidingWindowLimiter), and waits are holds of this worker.
      lockDuration: config.queue.lockDurationMs,
      stalledInterval: Math.max(1_000, Math.floor(config.queue.lockDurationMs / 2)),
      maxStalledCount: config.queue.maxStalledCount,
      autorun: false,
      settings: { backoffStrategy: (attemptsMade: number) => backoffDelay(attemptsMade, tenant.retry) },
    },
  );

  /**
   * This worker fetches no more jobs until `until` (calls in progress go on). `suspect`: after a
   * call got no answer, until one of this worker's calls gets an answer again (see below).
   */
  function stopFetching(until: number, why: 'hold' | 'suspect'): void {
    if (until <= holdUntil || closing) return;
    holdUntil = until;
    holdWhy = why;
    clearTimeout(holdTimer);
    void worker.pause(true);
    holdTimer = setTimeout(resumeFetching, Math.max(0, until - Date.now()));
  }

  function resumeFetching(): void {
    clearTimeout(holdTimer);
    holdUntil = 0;
    if (!closing) void worker.resume();
  }

  /**
   * Stops fetching until `until` (other replicas find the same budget, or the same unreachable
   * ledger, on their own), and puts this job back to wait without using an attempt.
   */
  function holdWorker(until: number): never {
    stopFetching(until, 'hold');
    throw Worker.RateLimitError();
  }

  async function processJob(job: Job<OrderJob>, token: string | undefined): Promise<string> {
    const key = job.data.key;
    const order = parseOrderKey(key);
    if (!order) throw new PartnerdError('PD_UNKNOWN_ORDER', `job ${job.id} carries no order key`);

    // The tenant's rate budget first, while the job holds nothing in the ledger: wait for the slot,
    // or, if none is free soon, stop fetching until one is.
    const slot = await takeSlot();
    if ('refusedForMs' in slot) return holdWorker(Date.now() + slot.refusedForMs);
    const ahead = slot.notBefore - performance.now() - OPEN_AHEAD_MS;
    if (ahead > 0) await sleep(ahead);

    try {
      return await submit(job, token, key, order, slot);
    } catch (err) {
      // Without the ledger nothing may be sent or recorded: the queue waits, no attempt is used.
      if (isDatabaseUnavailable(err)) {
        logEvent(logger, 'order.ledger_unavailable', ids(order));
        return holdWorker(Date.now() + LEDGER_UNAVAILABLE_WAIT_MS);
      }
      throw err;
    }
  }

  async function takeSlot(replaces?: string): Promise<SlotOrRefusal> {
    const asked = performance.now();
    const slot = await limiter.reserve(tenant.name, budget, maxSlotWaitMs, replaces);
    if (!slot.reserved) return { refusedForMs: slot.waitMs };
    return {
      id: slot.id, notBefore: performance.now() + slot.waitMs, onTimeUntil: asked + slot.waitMs + lateAllowanceMs,
      // Half the budget used, or calls queued for it (this one waited its turn). Not "half used"
      // alone: a drain starts with an empty window, and its first late calls overlap the steady
      // stream a second later.
      crowded: slot.inWindow * 2 >= budget.max || slot.waitMs >= lateAllowanceMs,
    };
  }

  /**
   * Waits for the slot; a job that reaches it late (this process stalled: a GC pause, a slow
   * commit) gives it back and takes the next free one, so that the calls due during a stall do
   * not leave together, more than the budget within BRP's window. Only where the budget is
   * crowded (half used, or calls waiting their turn): a tenant far below its limit pays no extra
   * round trip for a slow commit.
   */
  async function awaitSlot(slot: SlotTimes): Promise<SlotOrRefusal> {
    for (let retakes = 0; ; retakes++) {
      const wait = slot.notBefore - performance.now();
      if (wait > 0) await sleep(wait);
      if (!slot.crowded || performance.now() <= slot.onTimeUntil || retakes >= MAX_SLOT_RETAKES) return slot;
      // The attempt is open: without Redis (the limiter's connection fails at once or within its
      // command timeout) the call leaves late rather than not at all.
      const next = await takeSlot(slot.id).catch(() => undefined);
      if (!next) return slot;
      if ('refusedForMs' in next) return next;
      slot = next;
    }
  }

  async function submit(job: Job<OrderJob>, token: string | undefined, key: string, order: OrderKey, firstSlot: SlotTimes): Promise<string> {
    let begun = await ledger.beginAttempt(key);
    if (begun.kind === 'done') return `skipped: ${begun.state}`;

    if (begun.kind === 'open') {
      const openedAt = Date.parse(begun.openedAt);
      const deadline = openedAt + maxAttemptMs(config, tenant);
      if (Number.isFinite(openedAt) && Date.now() < deadline) {
        // Maybe still in flight elsewhere (BullMQ handed the job out again after a Redis blip):
        // come back once no call could still be running. Its own worker will record it first.
        await job.moveToDelayed(deadline, token);
        throw new DelayedError();
      }
      // The attempt outlived any call: its worker died between recording the attempt and
      // recording the answer. BRP may have created the order; resending could invoice twice.
      const interrupted: AttemptRecord = {
        n: begun.attempt, startedAt: begun.openedAt, class: 'interrupted', detail: 'worker stopped during the call',
      };
      if (tenant.inDoubtPolicy === 'hold') {
        if (await ledger.finishAttempt(key, 'in_doubt', interrupted, { lastError: 'attempt interrupted' })) {
          logEvent(logger, 'order.in_doubt', { ...ids(order), attempt: begun.attempt, reason: 'attempt interrupted' });
        }
        return 'in_doubt';
      }
      // Policy `retry`: the operator chose a possible duplicate over a delay. Say so, every time.
      logEvent(logger, 'order.resent', { ...ids(order), interruptedAttempt: begun.attempt, reason: 'attempt interrupted' });
      await ledger.finishAttempt(key, 'retrying', interrupted);
      begun = await ledger.beginAttempt(key);
      if (begun.kind !== 'started') return `skipped: ${begun.kind}`;
    }

    const attempt = begun.attempt;
    const startedAt = begun.startedAt;

    let xml: string;
    try {
      const stored = begun;
      xml = documents.renderForSending(() => requirePayload(stored.payload(), key), stored.xmlProof, stored.xml);
    } catch (err) {
      // Checked at intake already; only a replaced XSD can make this happen. Never send it.
      if (!isPartnerdError(err, 'PD_XSD_INVALID')) throw err;
      const brpError = { errors: [{ message: 'order no longer satisfies the configured XSD', debugInfo: err.message.slice(0, 500) }] };
      await ledger.finishAttempt(key, 'rejected', { n: attempt, startedAt, class: 'rejected', detail: 'PD_XSD_INVALID' }, { brpError });
      logEvent(logger, 'order.rejected', { ...ids(order), attempt, reason: 'PD_XSD_INVALID' });
      return 'rejected';
    }

    // The call leaves at its slot, not before (the attempt was opened ahead of it), nor late.
    const slot = await awaitSlot(firstSlot);
    if ('refusedForMs' in slot) {
      // A Retry-After came meanwhile: nothing was sent, the order waits with the others.
      await finish(order, key, 'queued', { n: attempt, startedAt, class: 'throttled', detail: 'not sent: no slot of the rate budget soon' });
      return holdWorker(Date.now() + slot.refusedForMs);
    }
    const sentAt = performance.now();
    const exchange = await client.createPartnerOrder(order.portal, xml);
    const durationMs = Math.round(performance.now() - sentAt);
    const outcome = classifyOutcome(exchange);
    observeBrpCall(tenant.name, outcome.class, durationMs / 1000);
    const signal = breakerSignal(outcome);
    let tenantHeld = false;
    if (breaker.record(signal) === 'open') {
      // Not this order's fault: BRP is not there. Hold the tenant before more orders spend attempts.
      const reason = 'reason' in outcome ? outcome.reason : `HTTP ${'status' in outcome ? outcome.status : '?'}`;
      await pause.pause(tenant.name, { kind: 'unreachable', reason });
      tenantHeld = true;
    } else if (signal === 'unreachable') {
      tenantHeld = (await pause.info(tenant.name)) !== undefined;
    } else if (signal === 'timeout') {
      // A call got no answer: BRP may be hanging, and every new call would then end in doubt too.
      // Send nothing new until one of the calls still in flight gets an answer (then it was this
      // order, or a passing hiccup) or the breaker opens: a hang costs at most `concurrency` orders.
      stopFetching(Date.now() + tenant.timeouts.connectMs + tenant.timeouts.responseMs, 'suspect');
    } else if (signal === 'answered' && holdUntil > 0 && holdWhy === 'suspect') {
      resumeFetching();
    }
    return record(job, order, key, attempt, startedAt, durationMs, outcome, tenantHeld);
  }

  /**
   * BRP has answered: the answer is recorded even if the ledger is briefly unreachable (retried
   * for up to the job's lock duration). If it still cannot be recorded, the outcome is logged
   * with BRP's numbers before giving up, so an operator can resolve the order (its attempt stays
   * open and becomes in-doubt) without asking BRP.
   */
  async function finish(order: OrderKey, key: string, next: OrderState, attempt: AttemptRecord, outcome: OrderOutcome = {}, options: { dropPayload?: boolean } = {}): Promise<boolean> {
    const deadline = Date.now() + config.queue.lockDurationMs;
    for (let delay = 100; ; delay = Math.min(delay * 2, 1_000)) {
      try {
        return await ledger.finishAttempt(key, next, attempt, outcome, options);
      } catch (err) {
        if (!isDatabaseUnavailable(err)) throw err;
        // Up to the deadline, and once more at it: an outage as long as the lock time is absorbed.
        delay = Math.min(delay, deadline - Date.now());
        if (delay <= 0) {
          logEvent(logger, 'order.unrecorded', {
            ...ids(order), state: next, attempt: attempt.n, attemptClass: attempt.class, httpStatus: attempt.httpStatus, durationMs: attempt.durationMs,
            brpOrderNumber: outcome.brpOrderNumber, invoiceNumber: outcome.invoiceNumber, ocr: outcome.ocr, amountOre: outcome.sumOre,
          });
          throw new PartnerdError('PD_DATABASE_UNRECORDED', `${key}: outcome ${next} not recorded`);
        }
        await sleep(delay);
      }
    }
  }

  async function record(job: Job<OrderJob>, order: OrderKey, key: string, n: number, startedAt: string, durationMs: number, outcome: Outcome, tenantHeld: boolean): Promise<string> {
    const httpStatus = 'status' in outcome ? outcome.status : undefined;
    const call = { ...ids(order), attempt: n, durationMs };
    const attempt = (detail?: string): AttemptRecord => ({ n, startedAt, class: outcome.class, httpStatus, durationMs, detail });

    switch (outcome.class) {
      case 'confirmed': {
        const { order: o, invoice } = outcome.confirmation;
        const fields: OrderOutcome = {
          brpOrderNumber: o.number, brpCreatedAt: o.created, sumOre: o.sumOre, sumExVatOre: o.sumExVatOre, vatSums: o.vatSums,
          invoiceNumber: invoice.number, ocr: invoice.ocrNumber, invoiceTotalOre: invoice.totalAmountOre,
          invoiceDate: invoice.invoiceDate, dueDate: invoice.dueDate,
        };
        if (await finish(order, key, 'confirmed', attempt(), fields, { dropPayload: true })) {
          logEvent(logger, 'order.confirmed', {
            ...call, brpOrderNumber: fields.brpOrderNumber, invoiceNumber: fields.invoiceNumber, ocr: fields.ocr, amountOre: fields.sumOre, dueDate: fields.dueDate,
          });
        }
        return 'confirmed';
      }
      case 'confirmed_unparsed': {
        const fields: OrderOutcome = { review: outcome.reason, rawResponse: outcome.rawBody.slice(0, MAX_RAW_RESPONSE) };
        if (await finish(order, key, 'confirmed', attempt(outcome.reason), fields)) {
          logEvent(logger, 'order.confirmed_unparsed', { ...call, httpStatus, reason: outcome.reason });
        }
        return 'confirmed';
      }
      case 'rejected': {
        const brpError = { status: outcome.status, errors: outcome.errors };
        const first = outcome.errors[0];
        if (await finish(order, key, 'rejected', attempt(first ? `${first.code ?? ''} ${first.message}`.trim() : undefined), { brpError })) {
          logEvent(logger, 'order.rejected', { ...call, httpStatus, brpErrorCode: first?.code });
        }
        return 'rejected';
      }
      case 'auth_failed': {
        // Not the order's fault: put it back without using an attempt and stop the tenant.
        await finish(order, key, 'queued', attempt(`HTTP ${outcome.status}`));
        await pause.pause(tenant.name, { kind: 'auth', httpStatus: outcome.status, reason: outcome.errors[0]?.message ?? `HTTP ${outcome.status}` });
        // The paused queue keeps the other jobs; this one goes back to wait with them.
        throw Worker.RateLimitError();
      }
      case 'throttled': {
        const wait = outcome.retryAfterMs ?? backoffDelay(1, tenant.retry);
        await finish(order, key, 'queued', attempt(`retry after ${wait} ms`));
        logEvent(logger, 'order.throttled', { ...call, httpStatus, reason: `retry after ${wait} ms` });
        // BRP's Retry-After is for the tenant: no replica is granted a call before it has passed.
        await limiter.blockFor(tenant.name, budget, wait);
        return holdWorker(Date.now() + wait);
      }
      case 'in_doubt':
        if (tenant.inDoubtPolicy === 'hold') {
          if (await finish(order, key, 'in_doubt', attempt(outcome.reason), { lastError: outcome.reason })) {
            logEvent(logger, 'order.in_doubt', { ...call, reason: outcome.reason });
          }
          return 'in_doubt';
        }
        logEvent(logger, 'order.resent', { ...ids(order), interruptedAttempt: n, reason: outcome.reason });
        return retryOrDie(job, order, key, attempt(outcome.reason), outcome.reason);
      case 'transient':
        if (tenantHeld) {
          // BRP is unreachable for the whole tenant, which is held: this order waits with the
          // others and spends no attempt (attempts are for failures that single out the order).
          await finish(order, key, 'queued', attempt(outcome.reason), { lastError: outcome.reason });
          logEvent(logger, 'order.held', { ...call, reason: outcome.reason });
          throw Worker.RateLimitError();
        }
        return retryOrDie(job, order, key, attempt(outcome.reason), outcome.reason);
    }
  }

  async function retryOrDie(job: Job<OrderJob>, order: OrderKey, key: string, attempt: AttemptRecord, reason: string): Promise<string> {
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (last) {
      if (await finish(order, key, 'dead', attempt, { lastError: reason })) {
        logEvent(logger, 'order.dead', { ...ids(order), attempt: attempt.n, durationMs: attempt.durationMs ?? 0, httpStatus: attempt.httpStatus, reason });
      }
      return 'dead';
    }
    await finish(order, key, 'retrying', attempt, { lastError: reason });
    logEvent(logger, 'order.retrying', { ...ids(order), attempt: attempt.n, durationMs: attempt.durationMs ?? 0, httpStatus: attempt.httpStatus, reason });
    throw new TransientBrpError(reason);
  }

  worker.on('error', (err) => logEvent(logger, 'worker.error', { tenant: tenant.name, err }));
  worker.on('closing', () => {
    closing = true;
    clearTimeout(holdTimer);
  });
  return worker;
}

function requirePayload<T>(payload: T | undefined, key: string): T {
  if (payload === undefined) throw new PartnerdError('PD_ILLEGAL_TRANSITION', `${key} has no stored order to send`);
  return payload;
}
