import { parseOrderKey } from '../domain/canonical-order.js';
import { PartnerdError } from '../errors.js';
import type { LedgerRecord } from '../ledger/ledger.js';
import { ORDER_STATES, REQUEUEABLE_STATES, type OrderState } from '../ledger/order-state.js';
import { logEvent } from '../observability/log-event.js';
import { maskEmail, maskPersonnummer } from '../observability/mask.js';
import type { Services } from '../daemon/services.js';

/** What operators see of an order: ids, state, BRP's numbers. Personal data only masked. */
export interface OrderSummary {
  key: string;
  tenant: string;
  portal: string;
  ordernr: string;
  state: OrderState;
  attempts: number;
  updatedAt: string;
  brpOrderNumber?: string;
  invoiceNumber?: string;
  ocr?: string;
  sumOre?: number;
  dueDate?: string;
  review?: string;
  lastError?: string;
  brpError?: string;
  /** Why an order is unroutable: where its unknown references are, never what they are. */
  unroutableReason?: string;
}

export function summarise(r: LedgerRecord): OrderSummary {
  return {
    key: r.key, tenant: r.tenant, portal: r.portal, ordernr: r.ordernr, state: r.state, attempts: r.attempts, updatedAt: r.updatedAt,
    brpOrderNumber: r.brpOrderNumber, invoiceNumber: r.invoiceNumber, ocr: r.ocr, sumOre: r.sumOre, dueDate: r.dueDate,
    review: r.review, lastError: r.lastError,
    brpError: r.brpError?.errors.map((e) => `${e.code ?? ''} ${e.message}`.trim()).join('; '),
    unroutableReason: r.unroutableReason,
  };
}

/**
 * The operator's verbs: inspect, re-queue, resolve an in-doubt order, resume a paused tenant.
 * Each is a ledger transition guarded by the current state, so no verb can create a second BRP
 * order for a confirmed key.
 */
export class AdminService {
  constructor(private readonly services: Services) {}

  private key(text: string): string {
    if (!parseOrderKey(text)) throw new PartnerdError('PD_UNKNOWN_ORDER', `not an order key (tenant:portal:ordernr): ${text}`);
    return text;
  }

  async list(filter: { state?: OrderState; tenant?: string; limit?: number } = {}): Promise<OrderSummary[]> {
    const rows = await this.services.ledger.list({
      ...(filter.state ? { states: [filter.state] } : {}), ...(filter.tenant ? { tenant: filter.tenant } : {}), limit: filter.limit ?? 50,
    });
    return rows.map(summarise);
  }

  async show(keyText: string) {
    const key = this.key(keyText);
    const rec = await this.services.ledger.get(key);
    if (!rec) throw new PartnerdError('PD_UNKNOWN_ORDER', key);
    const p = rec.payload?.person;
    return {
      ...summarise(rec),
      receivedAt: rec.receivedAt,
      person: p ? { personnummer: maskPersonnummer(p.personnummer), email: p.email ? maskEmail(p.email) : undefined } : undefined,
      items: rec.payload?.items.map((i) => ({ productNumber: i.productNumber, startDay: i.startDay, priceIncVatOre: i.priceIncVatOre })),
      // What routing looked up, for the operator who adds the mapping (the reason only says where).
      routing: rec.state === 'unroutable' ? routingReferences(rec.portalOrder) : undefined,
      vatSums: rec.vatSums,
      history: await this.services.ledger.history(key),
    };
  }

  async counts(): Promise<Record<string, number>> {
    return this.services.ledger.countByState();
  }

  /**
   * Puts a dead, rejected or in-doubt order back in its queue. For in-doubt the operator asserts
   * they checked BRP and the order was NOT created there.
   */
  async requeue(keyText: string, note = 'requeued by operator'): Promise<OrderState> {
    const key = this.key(keyText);
    const { ledger, queues, logger } = this.services;
    const rec = await ledger.get(key);
    if (!rec) throw new PartnerdError('PD_UNKNOWN_ORDER', key);
    if (!REQUEUEABLE_STATES.includes(rec.state)) {
      throw new PartnerdError('PD_ILLEGAL_TRANSITION', `${key} is ${rec.state}, not ${REQUEUEABLE_STATES.join('/')}`);
    }
    if (!rec.payload) {
      const why = rec.personalDataRemovedAt ? ` (its personal data was removed ${rec.personalDataRemovedAt})` : '';
      throw new PartnerdError('PD_ILLEGAL_TRANSITION', `${key} has no stored payload to send${why}`);
    }
    const from = await ledger.transition(key, REQUEUEABLE_STATES, 'queued', { action: 'requeue', actor: 'operator', detail: `${note} (was ${rec.state})` });
    await queues.reenqueue(key, rec.tenant);
    logEvent(logger, 'order.requeued', { tenant: rec.tenant, portal: rec.portal, ordernr: rec.ordernr, state: 'queued', reason: `was ${from}` });
    return from;
  }

  /** An in-doubt order the operator found in BRP: record it as confirmed with BRP's numbers. */
  async resolveConfirmed(keyText: string, numbers: { brpOrderNumber: string; invoiceNumber?: string; ocr?: string }): Promise<void> {
    const key = this.key(keyText);
    const { ledger, logger } = this.services;
    const rec = await ledger.get(key);
    if (!rec) throw new PartnerdError('PD_UNKNOWN_ORDER', key);
    await ledger.transition(key, ['in_doubt'], 'confirmed', { action: 'resolve', actor: 'operator', detail: 'resolved by operator: found in BRP' },
      { ...numbers, review: 'confirmed by operator from BRP' }, { dropPayload: true });
    logEvent(logger, 'order.resolved', { tenant: rec.tenant, portal: rec.portal, ordernr: rec.ordernr, state: 'confirmed', ...numbers });
  }

  async resumeTenant(tenant: string): Promise<boolean> {
    if (!this.services.config.tenants[tenant]) throw new PartnerdError('PD_UNKNOWN_TENANT', tenant);
    return this.services.pause.resume(tenant, 'operator');
  }

  async tenants() {
    const out = [];
    for (const name of Object.keys(this.services.config.tenants)) {
      const q = this.services.queues.get(name);
      out.push({ tenant: name, paused: (await this.services.pause.info(name)) ?? null, jobs: await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed') });
    }
    return out;
  }

  static isState(s: string): s is OrderState {
    return (ORDER_STATES as readonly string[]).includes(s);
  }
}

/** The venue reference and article codes of a stored portal order. */
function routingReferences(portalOrder: unknown): { venueRef?: string; articleCodes: string[] } | undefined {
  if (typeof portalOrder !== 'object' || portalOrder === null) return undefined;
  const { venueRef, lines } = portalOrder as { venueRef?: unknown; lines?: unknown };
  const articleCodes = Array.isArray(lines) ? lines.map((l: { articleCode?: unknown }) => l?.articleCode).filter((a): a is string => typeof a === 'string') : [];
  return { ...(typeof venueRef === 'string' && venueRef !== '' ? { venueRef } : {}), articleCodes: [...new Set(articleCodes)] };
}
