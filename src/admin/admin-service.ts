import { parseOrderKey, type CanonicalOrder, type FieldError } from '../domain/canonical-order.js';
import { validateOrder } from '../domain/validate-order.js';
import { PartnerdError } from '../errors.js';
import { UNROUTED_TENANT, type LedgerRecord } from '../ledger/ledger.js';
import { MOVING_STATES, ORDER_STATES, REQUEUEABLE_STATES, type OrderState } from '../ledger/order-state.js';
import type { SettledCounts } from '../ledger/settled-counts.js';
import { PULL_PORTALS, type PullPortal } from '../portal-clients/portal-http.js';
import { resumePortal } from '../portal-clients/portal-state.js';
import { logEvent } from '../observability/log-event.js';
import type { Logger } from 'pino';
import type { OrderDocumentFactory } from '../brp/order-document.js';
import type { PortalIntake } from '../ingest/portal-intake.js';
import type { OrderIntake } from '../queue/order-intake.js';
import { AdminAudit } from './admin-audit.js';
import { optionalReason, requireReason, type Operator } from './operator.js';
import { applyOrderPatch, changedPaths } from './order-changes.js';
import { decodeCursor, encodeCursor, parseSelection, type SelectionInput } from './order-selection.js';
import { detail, summarise, type OrderDetail, type OrderSummary } from './order-view.js';
import { systemStatus, type SystemStatus, type SystemStatusServices } from './system-status.js';

export { summarise, type OrderSummary } from './order-view.js';

/** How many orders one statement of a bulk re-queue moves (each batch commits, then its jobs are added). */
export const BULK_BATCH = 1_000;

export interface BulkRequeueOptions {
  reason?: string;
  /** Required when in_doubt orders are selected: the operator checked BRP and they are NOT there. */
  notInBrp?: boolean;
  dryRun?: boolean;
  batchSize?: number;
  /** How many keys a dry run lists. */
  firstKeys?: number;
  onProgress?: (done: number, total: number) => void;
  /** false: a dry run that only prepares the question to the operator (the CLI's count before asking) is not logged. */
  audit?: boolean;
}

export type BulkRequeueResult =
  | { dryRun: true; count: number; withoutPayload: number; firstKeys: string[] }
  | { dryRun: false; count: number; withoutPayload: number; requeued: number; keys: string[]; durationMs: number };

export interface ResolveInput {
  brpOrderNumber: string;
  invoiceNumber?: string;
  ocr?: string;
  reason?: string;
}

/** BRP's numbers as an operator types them: digits and letters, no free text. */
const BRP_NUMBER = /^[A-Za-z0-9-]{1,40}$/;

/**
 * The operator's verbs, one service for every door (the CLI, the admin API, the console): look
 * up, show, re-queue (one order or every order matching a filter, with a dry run), resolve,
 * amend, re-route, resume a tenant or portal, status. Each change is a ledger statement guarded
 * by the order's current state and written to the audit trail in the same statement (actor,
 * time, action, state before and after, reason), then logged as an `admin.*` event; no verb can
 * create a second BRP order for a confirmed key.
 */
/** What the operators' verbs need (the daemon's Services has all of it). */
export interface AdminServices extends SystemStatusServices {
  logger: Logger;
  settledCounts: SettledCounts;
  documents: OrderDocumentFactory;
  intake: OrderIntake;
  portalIntake: PortalIntake;
}

export class AdminService {
  private readonly audit: AdminAudit;

  /** `auditLogger`: where the `admin.*` lines go (the CLI writes them on stderr at info). */
  constructor(private readonly services: AdminServices, options: { audit?: AdminAudit } = {}) {
    this.audit = options.audit ?? new AdminAudit(services.logger);
  }

  private key(text: string): string {
    if (!parseOrderKey(text)) throw new PartnerdError('PD_UNKNOWN_ORDER', `not an order key (tenant:portal:ordernr): ${text}`);
    return text;
  }

  private async record(keyText: string): Promise<LedgerRecord> {
    const key = this.key(keyText);
    const rec = await this.services.ledger.get(key);
    if (!rec) throw new PartnerdError('PD_UNKNOWN_ORDER', key);
    return rec;
  }

  // ---- looking -------------------------------------------------------------------------------

  /** Orders newest change first, filtered, a page at a time (`cursor` from the previous page). */
  async list(input: SelectionInput & { limit?: number; cursor?: string } = {}): Promise<{ orders: OrderSummary[]; nextCursor?: string }> {
    const selection = parseSelection(this.services.config, input);
    const limit = Math.max(1, Math.min(input.limit ?? 50, 1_000));
    const after = decodeCursor(input.cursor);
    // One more than asked: whether there is a next page, without a count.
    const rows = await this.services.ledger.list({ ...selection, limit: limit + 1, ...(after ? { after } : {}) });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { orders: page.map(summarise), ...(rows.length > limit && last ? { nextCursor: encodeCursor(last) } : {}) };
  }

  /** Orders whose key, order number, BRP order number, invoice number or OCR is exactly `text`. */
  async find(text: string): Promise<OrderSummary[]> {
    const t = text.trim();
    if (!t) throw new PartnerdError('PD_INVALID_ARGUMENT', 'give an order number, OCR, BRP order number or invoice number');
    return (await this.services.ledger.find(t, 50)).map(summarise);
  }

  async show(keyText: string): Promise<OrderDetail> {
    const rec = await this.record(keyText);
    return detail(rec, await this.services.ledger.history(rec.key));
  }

  async counts(): Promise<Record<string, number>> {
    return this.services.ledger.countByState();
  }

  async status(): Promise<SystemStatus> {
    return systemStatus(this.services);
  }

  /**
   * The console's first page: counts by tenant, portal and state, what is stopped, what waits
   * longest, who did what. The states an operator acts on and the live ones are counted on every
   * call (the state index: a small share of the ledger); the settled ones (confirmed, rerouted:
   * nearly every row of a big ledger) come from the process' background count, at most
   * `admin.settledCountsMaxAgeSeconds` old, with the time it was taken (`settledAsOf`).
   */
  async overview() {
    const { ledger, settledCounts } = this.services;
    const countsNow = Promise.all([ledger.countByTenantPortalState(MOVING_STATES), settledCounts.get()]);
    const byState = async () => {
      const [moving, settled] = await countsNow;
      const out = Object.fromEntries(ORDER_STATES.map((s) => [s, 0])) as Record<OrderState, number>;
      for (const c of [...moving, ...settled.rows]) out[c.state] += c.count;
      return out;
    };
    const [[moving, settled], status, oldestWaiting, recentActions] = await Promise.all([
      countsNow, systemStatus(this.services, { orders: byState }), ledger.oldestWaiting(), ledger.recentActions(10),
    ]);
    const counts = [...moving, ...settled.rows].sort((a, b) => a.tenant.localeCompare(b.tenant) || a.portal.localeCompare(b.portal));
    return { counts, settledAsOf: settled.takenAt.toISOString(), status, oldestWaiting, recentActions };
  }

  // ---- re-queue ------------------------------------------------------------------------------

  /**
   * Puts a dead, rejected or in-doubt order back in its queue. In-doubt: only with `notInBrp`
   * (the operator checked BRP and the order is NOT there) and a reason, since BRP may have it.
   */
  async requeue(keyText: string, op: Operator, options: { reason?: string; notInBrp?: boolean } = {}): Promise<{ key: string; fromState: OrderState }> {
    const rec = await this.record(keyText);
    const { ledger } = this.services;
    if (!REQUEUEABLE_STATES.includes(rec.state)) {
      throw new PartnerdError('PD_ILLEGAL_TRANSITION', `${rec.key} is ${rec.state}, not ${REQUEUEABLE_STATES.join('/')}`, { state: rec.state });
    }
    const reason = rec.state === 'in_doubt' ? this.inDoubtReason(options) : optionalReason(options.reason);
    if (!rec.payload) {
      const why = rec.personalDataRemovedAt
        ? `its personal data was removed ${rec.personalDataRemovedAt} (retention or erasure)`
        : 'partnerd refused it before BRP; correct it with amend';
      throw new PartnerdError('PD_ILLEGAL_TRANSITION', `${rec.key} has no stored order to send (${why})`);
    }
    const from = await ledger.transition(rec.key, REQUEUEABLE_STATES, 'queued', {
      action: 'requeue', actor: op.actor, detail: `requeued via ${op.via}${rec.state === 'in_doubt' ? '; operator checked BRP: not there' : ''}`,
      ...(reason ? { reason } : {}),
    });
    await this.enqueue(rec.key, rec.tenant);
    logEvent(this.services.logger, 'order.requeued', { tenant: rec.tenant, portal: rec.portal, ordernr: rec.ordernr, state: 'queued', reason: `was ${from}`, actor: op.actor });
    this.audit.log('admin.requeue', { tenant: rec.tenant, portal: rec.portal, ordernr: rec.ordernr, actor: op.actor, via: op.via, fromState: from, toState: 'queued', reason });
    return { key: rec.key, fromState: from };
  }

  private inDoubtReason(options: { reason?: string; notInBrp?: boolean }): string {
    if (!options.notInBrp) {
      throw new PartnerdError('PD_INVALID_ARGUMENT', 'an in-doubt order may exist in BRP: re-queue it only after checking BRP, and say so (--not-in-brp, or "notInBrp": true)');
    }
    return requireReason(options.reason, 're-queueing an in-doubt order');
  }

  /**
   * Every order matching a filter back to its queue, or (`dryRun`) how many that would be and the
   * first keys, changing nothing. The work is SQL: batches of guarded `UPDATE … RETURNING` with
   * each order's audit row in the same statement; the jobs of a batch are added once it has
   * committed (an order whose job cannot be added is found by the reconciler). Orders changed
   * after the action began are left alone, so nothing is picked twice.
   */
  async requeueMany(input: SelectionInput, op: Operator, options: BulkRequeueOptions = {}): Promise<BulkRequeueResult> {
    const selection = parseSelection(this.services.config, input);
    const states = selection.states ?? [];
    if (selection.review) throw new PartnerdError('PD_INVALID_ARGUMENT', 'confirmed orders under review are never sent again: record their numbers with resolve');
    if (states.length === 0) throw new PartnerdError('PD_INVALID_ARGUMENT', `a bulk re-queue needs the states to re-queue (${REQUEUEABLE_STATES.join(', ')})`);
    const refused = states.filter((s) => !REQUEUEABLE_STATES.includes(s));
    if (refused.length) throw new PartnerdError('PD_INVALID_ARGUMENT', `${refused.join(', ')} orders cannot be re-queued (only ${REQUEUEABLE_STATES.join(', ')})`);
    const reason = states.includes('in_doubt') ? this.inDoubtReason(options) : optionalReason(options.reason);
    const { ledger, logger } = this.services;
    const filterFields = {
      states, tenant: selection.tenant, portal: selection.portal, since: selection.since?.toISOString(), until: selection.until?.toISOString(),
    };
    const preview = await ledger.previewRequeue({ ...selection, states }, options.firstKeys ?? 20);
    if (options.dryRun) {
      if (options.audit !== false) this.audit.log('admin.bulk_requeue', { actor: op.actor, via: op.via, dryRun: true, ...filterFields, count: preview.count, withoutPayload: preview.withoutPayload, reason });
      return { dryRun: true, ...preview };
    }
    const started = new Date();
    const batch = Math.max(1, options.batchSize ?? BULK_BATCH);
    const note = {
      action: 'requeue', actor: op.actor, detail: `bulk requeue via ${op.via}${states.includes('in_doubt') ? '; operator checked BRP: not there' : ''}`,
      ...(reason ? { reason } : {}),
    };
    const keys: string[] = [];
    options.onProgress?.(0, preview.count);
    for (;;) {
      const rows = await ledger.requeueBatch({ ...selection, states }, { limit: batch, changedBefore: started, note });
      if (rows.length === 0) break;
      const byTenant = new Map<string, string[]>();
      for (const r of rows) byTenant.set(r.tenant, [...(byTenant.get(r.tenant) ?? []), r.key]);
      await Promise.all([...byTenant].map(async ([tenant, tenantKeys]) => {
        try {
          await this.services.queues.reenqueueMany(tenant, tenantKeys);
        } catch (err) {
          // Committed as queued: the reconciler adds the jobs once Redis answers.
          for (const key of tenantKeys) {
            const p = parseOrderKey(key)!;
            logEvent(logger, 'order.enqueue_deferred', { tenant, portal: p.portal, ordernr: p.ordernr, reason: (err as { code?: string }).code ?? (err as Error).name });
          }
        }
      }));
      for (const r of rows) {
        keys.push(r.key);
        logEvent(logger, 'order.requeued', { tenant: r.tenant, portal: r.portal, ordernr: r.ordernr, state: 'queued', reason: `was ${r.fromState}`, actor: op.actor });
      }
      options.onProgress?.(keys.length, Math.max(preview.count, keys.length));
      if (rows.length < batch) break;
    }
    const durationMs = Date.now() - started.getTime();
    this.audit.log('admin.bulk_requeue', {
      actor: op.actor, via: op.via, dryRun: false, ...filterFields, count: keys.length, withoutPayload: preview.withoutPayload, reason, durationMs,
    });
    return { dryRun: false, count: preview.count, withoutPayload: preview.withoutPayload, requeued: keys.length, keys, durationMs };
  }

  // ---- resolve -------------------------------------------------------------------------------

  /**
   * Records BRP's numbers: an in-doubt order the operator found in BRP becomes confirmed; a
   * confirmed order under review (BRP's 2xx was unreadable) gets the numbers it lacks, so the
   * portal can be told. Never sends anything.
   */
  async resolve(keyText: string, op: Operator, input: ResolveInput): Promise<{ key: string; fromState: OrderState; notifyWaits: boolean }> {
    const rec = await this.record(keyText);
    const reason = requireReason(input.reason, 'resolve');
    const numbers = {
      brpOrderNumber: brpNumber(input.brpOrderNumber, 'the BRP order number')!,
      ...opt('invoiceNumber', brpNumber(input.invoiceNumber, 'the invoice number')),
      ...opt('ocr', brpNumber(input.ocr, 'the OCR number')),
    };
    const underReview = rec.state === 'confirmed' && rec.review !== undefined && rec.brpOrderNumber === undefined;
    if (rec.state !== 'in_doubt' && !underReview) {
      throw new PartnerdError('PD_ILLEGAL_TRANSITION', `${rec.key} is ${rec.state}${rec.state === 'confirmed' ? ' with its BRP numbers' : ''}, not in_doubt or confirmed under review`, { state: rec.state });
    }
    const from = await this.services.ledger.transition(
      rec.key, [rec.state], 'confirmed',
      { action: 'resolve', actor: op.actor, reason, detail: `${underReview ? 'BRP numbers recorded' : 'found in BRP'} via ${op.via}: BRP order ${numbers.brpOrderNumber}` },
      { ...numbers, review: underReview ? `${rec.review}; numbers recorded by ${op.actor}` : `confirmed by ${op.actor} from BRP` },
      { dropPayload: true },
    );
    logEvent(this.services.logger, 'order.resolved', { tenant: rec.tenant, portal: rec.portal, ordernr: rec.ordernr, state: 'confirmed', ...numbers, actor: op.actor });
    this.audit.log('admin.resolve', { tenant: rec.tenant, portal: rec.portal, ordernr: rec.ordernr, actor: op.actor, via: op.via, fromState: from, toState: 'confirmed', reason, ...numbers });
    // Wellnet and Epassi are told the numbers; without all three the notifier waits for them.
    const notifyWaits = (PULL_PORTALS as readonly string[]).includes(rec.portal) && (!numbers.invoiceNumber || !numbers.ocr);
    return { key: rec.key, fromState: from, notifyWaits };
  }

  // ---- amend ---------------------------------------------------------------------------------

  /**
   * Replaces the order of a rejected, dead or unroutable order and queues it: the whole canonical
   * order (`order`), or a merge patch over the stored one (`patch`: only what changes). It is
   * validated exactly like intake and gets a new XSD proof; the history stays, and the audit row
   * names the fields that changed, never their values. An order without a tenant yet (`~` key)
   * continues under its tenant's key, like a re-routed one.
   */
  async amend(keyText: string, op: Operator, input: { order?: unknown; patch?: unknown; reason?: string }): Promise<{ key: string; fromState: OrderState; continuesAs?: string; changed: string[] }> {
    const rec = await this.record(keyText);
    const reason = requireReason(input.reason, 'amend');
    const unrouted = rec.tenant === UNROUTED_TENANT;
    const allowed: OrderState[] = unrouted ? ['unroutable', 'rejected'] : ['rejected', 'dead'];
    if (!allowed.includes(rec.state)) throw new PartnerdError('PD_ILLEGAL_TRANSITION', `${rec.key} is ${rec.state}, not ${allowed.join('/')}`, { state: rec.state });
    if ((input.order === undefined) === (input.patch === undefined)) throw new PartnerdError('PD_INVALID_ARGUMENT', 'give either the whole order or a patch of the fields that change');
    let raw: unknown;
    if (input.patch !== undefined) {
      if (!rec.payload) throw new PartnerdError('PD_INVALID_ARGUMENT', `${rec.key} has no stored order to patch: give the whole order`);
      raw = applyOrderPatch(rec.payload, input.patch);
    } else raw = input.order;
    const order = this.validateAmendment(rec, raw);
    const proven = this.services.documents.prove(order);
    if (!proven.ok) throw invalid(proven.errors);
    const changed = rec.payload ? changedPaths(rec.payload, order) : ['(whole order: none was stored)'];
    if (rec.payload && changed.length === 0) throw new PartnerdError('PD_INVALID_ARGUMENT', 'the amended order is the same as the stored one: use requeue to send it again');
    const detailText = `amended via ${op.via}; changed: ${changed.join(', ')}`;
    const { ledger, intake, logger } = this.services;
    let result: { key: string; fromState: OrderState; continuesAs?: string; changed: string[] };
    if (unrouted) {
      const submitted = await intake.submitProven(order, proven, { replaceIndexFrom: rec.key });
      const from = await ledger.transition(rec.key, [rec.state], 'rerouted', { action: 'amend', actor: op.actor, reason, detail: `${detailText}; continues as ${submitted.key}` },
        { routedTo: submitted.key }, { dropPortalOrder: true });
      await ledger.recordAction(submitted.key, { action: 'amend', actor: op.actor, reason, detail: `amended from ${rec.key} via ${op.via}`, state: 'queued' });
      result = { key: rec.key, fromState: from, continuesAs: submitted.key, changed };
    } else {
      const from = await ledger.replacePayload(rec.key, allowed, order, proven, { action: 'amend', actor: op.actor, reason, detail: detailText });
      await this.enqueue(rec.key, rec.tenant);
      logEvent(logger, 'order.requeued', { tenant: rec.tenant, portal: rec.portal, ordernr: rec.ordernr, state: 'queued', reason: `amended, was ${from}`, actor: op.actor });
      result = { key: rec.key, fromState: from, changed };
    }
    this.audit.log('admin.amend', {
      tenant: rec.tenant, portal: rec.portal, ordernr: rec.ordernr, actor: op.actor, via: op.via, fromState: result.fromState,
      toState: unrouted ? 'rerouted' : 'queued', reason, changed, continuesAs: result.continuesAs,
    });
    return result;
  }

  /** Intake's validation, with the tenant's personnummer form; the order must keep its key. */
  private validateAmendment(rec: LedgerRecord, raw: unknown): CanonicalOrder {
    const input = raw as { tenant?: unknown; portal?: unknown; ordernr?: unknown } | null;
    const keyErrors: FieldError[] = [];
    if (input?.portal !== rec.portal) keyErrors.push({ path: 'portal', message: `must stay ${rec.portal} (the order's key)` });
    if (input?.ordernr !== rec.ordernr) keyErrors.push({ path: 'ordernr', message: `must stay ${rec.ordernr} (the order's key)` });
    const tenantName = typeof input?.tenant === 'string' ? input.tenant : undefined;
    if (rec.tenant !== UNROUTED_TENANT && tenantName !== rec.tenant) keyErrors.push({ path: 'tenant', message: `must stay ${rec.tenant} (the order's key)` });
    const tenant = tenantName ? this.services.config.tenants[tenantName] : undefined;
    if (!tenant && !keyErrors.some((e) => e.path === 'tenant')) keyErrors.push({ path: 'tenant', message: 'no tenant with this name is configured' });
    const checked = validateOrder(raw, { personnummerForm: tenant?.personnummerForm ?? 'short' });
    const errors = [...keyErrors, ...(checked.ok ? [] : checked.errors.filter((e) => !keyErrors.some((k) => k.path === e.path)))];
    if (errors.length > 0 || !checked.ok) throw invalid(errors);
    return checked.order;
  }

  // ---- re-route ------------------------------------------------------------------------------

  /** Maps a portal order again with the current config: unroutable ones, and rejected ones that kept their portal order. */
  async reroute(keyText: string, op: Operator, options: { reason?: string } = {}) {
    const rec = await this.record(keyText);
    const reason = optionalReason(options.reason);
    const result = await this.services.portalIntake.reroute(rec.key, new Date(), { actor: op.actor, ...(reason ? { reason } : {}) });
    this.audit.log('admin.reroute', {
      tenant: rec.tenant, portal: rec.portal, ordernr: rec.ordernr, actor: op.actor, via: op.via, fromState: rec.state, outcome: result.status,
      continuesAs: result.status === 'accepted' || result.status === 'duplicate' ? result.key : undefined, reason,
    });
    return result;
  }

  // ---- resume --------------------------------------------------------------------------------

  async resumeTenant(tenant: string, op: Operator, options: { reason?: string } = {}): Promise<boolean> {
    if (!this.services.config.tenants[tenant]) {
      throw new PartnerdError('PD_UNKNOWN_TENANT', `${tenant} (configured: ${Object.keys(this.services.config.tenants).join(', ')})`);
    }
    const reason = optionalReason(options.reason);
    const wasPaused = await this.services.pause.resume(tenant, 'operator');
    await this.services.ledger.recordOperatorAction({
      actor: op.actor, action: 'resume_tenant', subject: `tenant:${tenant}`, fromState: wasPaused ? 'paused' : 'running', toState: 'running',
      detail: `via ${op.via}`, ...(reason ? { reason } : {}),
    });
    this.audit.log('admin.resume_tenant', { actor: op.actor, via: op.via, tenant, wasPaused, reason });
    return wasPaused;
  }

  async resumePortal(portal: string, op: Operator, options: { reason?: string } = {}): Promise<{ wasStopped: boolean; notifyWasStopped: boolean }> {
    if (!(PULL_PORTALS as readonly string[]).includes(portal)) {
      throw new PartnerdError('PD_INVALID_ARGUMENT', `${portal} is not a pull portal: only ${PULL_PORTALS.join(' and ')} are polled and told outcomes, so only they can be stopped`);
    }
    const reason = optionalReason(options.reason);
    const r = await resumePortal(this.services, portal as PullPortal);
    await this.services.ledger.recordOperatorAction({
      actor: op.actor, action: 'resume_portal', subject: `portal:${portal}`,
      fromState: r.wasStopped || r.notifyWasStopped ? [r.wasStopped ? 'polling stopped' : '', r.notifyWasStopped ? 'notifying stopped' : ''].filter(Boolean).join(', ') : 'running',
      toState: 'running', detail: `via ${op.via}`, ...(reason ? { reason } : {}),
    });
    this.audit.log('admin.resume_portal', { actor: op.actor, via: op.via, portal, ...r, reason });
    return r;
  }

  /** The job, best effort: the order is committed as queued already, and the reconciler repairs a miss. */
  private async enqueue(key: string, tenant: string): Promise<void> {
    try {
      await this.services.queues.reenqueue(key, tenant);
    } catch (err) {
      const p = parseOrderKey(key)!;
      logEvent(this.services.logger, 'order.enqueue_deferred', { tenant, portal: p.portal, ordernr: p.ordernr, reason: (err as { code?: string }).code ?? (err as Error).name });
    }
  }

  static isState(s: string): s is OrderState {
    return (ORDER_STATES as readonly string[]).includes(s);
  }
}

function brpNumber(v: string | undefined, what: string): string | undefined {
  const t = v?.trim();
  if (!t) {
    if (what === 'the BRP order number') throw new PartnerdError('PD_INVALID_ARGUMENT', 'resolve needs the BRP order number');
    return undefined;
  }
  if (!BRP_NUMBER.test(t)) throw new PartnerdError('PD_INVALID_ARGUMENT', `${what} must be 1–40 letters, digits or "-"`);
  return t;
}

function opt<K extends string, V>(k: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [k]: v }) as { [P in K]?: V };
}

/** Validation problems of an operator's order: every path and rule, never a value. */
function invalid(errors: FieldError[]): PartnerdError {
  return new PartnerdError('PD_ORDER_INVALID', errors.map((e) => `${e.path || '(order)'}: ${e.message}`).join('; '), errors);
}
