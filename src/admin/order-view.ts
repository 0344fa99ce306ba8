import type { CanonicalOrder } from '../domain/canonical-order.js';
import { formatOreSwedish } from '../domain/money.js';
import type { HistoryEntry, LedgerRecord } from '../ledger/ledger.js';
import type { OrderState } from '../ledger/order-state.js';
import { maskEmail, maskName, maskPersonnummer, maskPhone } from '../observability/mask.js';

/**
 * What operators see of an order, on every door (CLI, API, console): ids, state, BRP's numbers,
 * money in öre and as SEK text. Personal data only masked: a name's initial, a personnummer's
 * century and last two digits, an e-mail's first letter and domain, a phone's first and last two.
 */
export interface OrderSummary {
  key: string;
  tenant: string;
  portal: string;
  ordernr: string;
  state: OrderState;
  attempts: number;
  receivedAt: string;
  updatedAt: string;
  brpOrderNumber?: string;
  invoiceNumber?: string;
  ocr?: string;
  sumOre?: number;
  /** `sumOre` as Swedish kronor text: `2 510,00 kr`. */
  sum?: string;
  dueDate?: string;
  /** Why BRP's 2xx was kept for review (an unreadable body), or how an operator confirmed it. */
  review?: string;
  /** Confirmed, but BRP's numbers are still missing: an operator must record them (`resolve`). */
  needsReview: boolean;
  lastError?: string;
  brpError?: string;
  /** Why an order is unroutable: where its unknown references are, never what they are. */
  unroutableReason?: string;
  routedTo?: string;
  rejectedBy?: string;
}

export function sek(ore: number | undefined): string | undefined {
  return ore === undefined ? undefined : `${formatOreSwedish(ore)} kr`;
}

export function summarise(r: LedgerRecord): OrderSummary {
  const out: OrderSummary = {
    key: r.key, tenant: r.tenant, portal: r.portal, ordernr: r.ordernr, state: r.state, attempts: r.attempts,
    receivedAt: r.receivedAt, updatedAt: r.updatedAt, needsReview: r.state === 'confirmed' && r.review !== undefined && r.brpOrderNumber === undefined,
  };
  const optional: Partial<OrderSummary> = {
    brpOrderNumber: r.brpOrderNumber, invoiceNumber: r.invoiceNumber, ocr: r.ocr, sumOre: r.sumOre, sum: sek(r.sumOre), dueDate: r.dueDate,
    review: r.review, lastError: r.lastError,
    brpError: r.brpError?.errors.map((e) => `${e.code ?? ''} ${e.message}`.trim()).join('; '),
    unroutableReason: r.unroutableReason, routedTo: r.routedTo, rejectedBy: r.rejectedBy,
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  return out;
}

/** The stored order with its personal data masked (the order page, `show`). */
export interface MaskedOrder {
  businessUnit: string;
  organization: { number: string; name: string };
  person: {
    name: string;
    personnummer: string;
    email?: string;
    phones?: Record<string, string>;
    /** The city only: street and postal code are not needed to recognise an order. */
    city?: string;
  };
  items: Array<{ productNumber: string; startDay: string; priceIncVatOre: number; price: string; renew?: boolean }>;
}

export function maskOrder(order: CanonicalOrder): MaskedOrder {
  const p = order.person;
  const phones = p.phones ? Object.fromEntries(Object.entries(p.phones).filter(([, v]) => v).map(([k, v]) => [k, maskPhone(v as string)])) : undefined;
  return {
    businessUnit: order.businessUnit,
    organization: order.organization,
    person: {
      name: `${maskName(p.firstName)} ${maskName(p.lastName)}`,
      personnummer: maskPersonnummer(p.personnummer),
      ...(p.email ? { email: maskEmail(p.email) } : {}),
      ...(phones && Object.keys(phones).length ? { phones } : {}),
      ...(p.address?.city ? { city: p.address.city } : {}),
    },
    items: order.items.map((i) => ({
      productNumber: i.productNumber, startDay: i.startDay, priceIncVatOre: i.priceIncVatOre, price: sek(i.priceIncVatOre)!,
      ...(i.renew !== undefined ? { renew: i.renew } : {}),
    })),
  };
}

/** One order in full, for the order page and `show`. */
export interface OrderDetail extends OrderSummary {
  finalAt?: string;
  confirmedAt?: string;
  sumExVatOre?: number;
  sumExVat?: string;
  invoiceTotalOre?: number;
  invoiceTotal?: string;
  invoiceDate?: string;
  vatSums?: Array<{ ratePercent: number; amountOre: number; amount: string }>;
  /** The order as stored while it may still be sent (masked); gone once confirmed. */
  order?: MaskedOrder;
  /** Unroutable (or re-routable) portal orders: what routing looked up (the reason only says where). */
  routing?: { venueRef?: string; articleCodes: string[] };
  /** The portal is told the outcome (Wellnet, Epassi): when it was, or why not yet. */
  notifiedAt?: string;
  notifyLastError?: string;
  /** BRP calls and actions on the order, oldest first (the audit trail: actor, reason, before/after). */
  history: HistoryEntry[];
  /** What an operator may do with it now. */
  actions: { requeue: boolean; resolve: boolean; amend: boolean; reroute: boolean };
}

export function detail(rec: LedgerRecord, history: HistoryEntry[]): OrderDetail {
  const summary = summarise(rec);
  const hasPortalOrder = rec.portalOrder !== undefined && routingReferences(rec.portalOrder) !== undefined;
  const out: OrderDetail = {
    ...summary,
    history,
    actions: {
      requeue: (rec.state === 'dead' || rec.state === 'rejected' || rec.state === 'in_doubt') && rec.payload !== undefined,
      resolve: rec.state === 'in_doubt' || summary.needsReview,
      amend: rec.state === 'dead' || rec.state === 'rejected' || rec.state === 'unroutable',
      reroute: (rec.state === 'unroutable' || rec.state === 'rejected') && hasPortalOrder,
    },
  };
  const optional: Partial<OrderDetail> = {
    finalAt: rec.finalAt, confirmedAt: rec.confirmedAt,
    sumExVatOre: rec.sumExVatOre, sumExVat: sek(rec.sumExVatOre),
    invoiceTotalOre: rec.invoiceTotalOre, invoiceTotal: sek(rec.invoiceTotalOre), invoiceDate: rec.invoiceDate,
    vatSums: rec.vatSums?.map((v) => ({ ...v, amount: sek(v.amountOre)! })),
    order: rec.payload ? maskOrder(rec.payload) : undefined,
    routing: hasPortalOrder ? routingReferences(rec.portalOrder) : undefined,
    notifiedAt: rec.notifiedAt, notifyLastError: rec.notifyLastError,
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  return out;
}

/** The venue reference and article codes of a stored portal order. */
export function routingReferences(portalOrder: unknown): { venueRef?: string; articleCodes: string[] } | undefined {
  if (typeof portalOrder !== 'object' || portalOrder === null) return undefined;
  const { venueRef, lines } = portalOrder as { venueRef?: unknown; lines?: unknown };
  if (!Array.isArray(lines)) return undefined;
  const articleCodes = lines.map((l: { articleCode?: unknown }) => l?.articleCode).filter((a): a is string => typeof a === 'string');
  return { ...(typeof venueRef === 'string' && venueRef !== '' ? { venueRef } : {}), articleCodes: [...new Set(articleCodes)] };
}
