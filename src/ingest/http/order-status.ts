import type { Portal } from '../../domain/canonical-order.js';
import type { Ledger, LedgerRecord } from '../../ledger/ledger.js';
import type { OrderState } from '../../ledger/order-state.js';

/**
 * What a portal may learn about one of its orders (Benify's signed status look-up). Ids, the
 * state and BRP's invoice data only: no personal data, no BRP error texts (they may quote it),
 * no tenant or configuration details.
 *
 *   { "orderId": "BNF-…", "state": "confirmed",
 *     "brpOrderNumber": "…", "invoiceNumber": "…", "ocr": "…", "total": 251000, "dueDate": "2026-12-20" }
 *
 * The invoice fields appear once the order is confirmed, and only those BRP's confirmation gave
 * (a confirmed order whose confirmation could not be read has none). `total` is the invoice
 * total in öre (an integer; the order sum when BRP gave no invoice total): what the portal pays
 * quoting the OCR number.
 */
export type PublicOrderState =
  | 'received' | 'queued' | 'submitting' | 'retrying' | 'confirmed' | 'rejected' | 'in-doubt' | 'dead' | 'unroutable';

export interface PublicOrderStatus {
  orderId: string;
  state: PublicOrderState;
  brpOrderNumber?: string;
  invoiceNumber?: string;
  ocr?: string;
  total?: number;
  dueDate?: string;
}

const PUBLIC_STATE: Record<Exclude<OrderState, 'rerouted'>, PublicOrderState> = {
  queued: 'queued',
  submitting: 'submitting',
  retrying: 'retrying',
  confirmed: 'confirmed',
  rejected: 'rejected',
  in_doubt: 'in-doubt',
  dead: 'dead',
  unroutable: 'unroutable',
};

/** A re-routed order continues under `routedTo`; a chain longer than this is a bug, not data. */
const MAX_REROUTES = 5;

/** Undefined when the portal's order id is unknown. */
export async function lookUpOrderStatus(ledger: Ledger, portal: Portal, orderId: string): Promise<PublicOrderStatus | undefined> {
  const key = await ledger.keyForPortalOrder(portal, orderId);
  if (key === undefined) return undefined;
  let rec = await ledger.get(key);
  for (let hop = 0; rec?.state === 'rerouted' && hop < MAX_REROUTES; hop++) {
    rec = rec.routedTo ? await ledger.get(rec.routedTo) : undefined;
  }
  // Indexed but not (yet) readable: the index and the record are written by one script, so
  // this is a re-route caught half-way. The order is known, and kept.
  if (!rec || rec.state === 'rerouted') return { orderId, state: 'received' };
  return { orderId, state: PUBLIC_STATE[rec.state], ...(rec.state === 'confirmed' ? invoiceOf(rec) : {}) };
}

function invoiceOf(rec: LedgerRecord): Omit<PublicOrderStatus, 'orderId' | 'state'> {
  const out: Omit<PublicOrderStatus, 'orderId' | 'state'> = {};
  if (rec.brpOrderNumber) out.brpOrderNumber = rec.brpOrderNumber;
  if (rec.invoiceNumber) out.invoiceNumber = rec.invoiceNumber;
  if (rec.ocr) out.ocr = rec.ocr;
  const total = rec.invoiceTotalOre ?? rec.sumOre;
  if (Number.isSafeInteger(total)) out.total = total;
  if (rec.dueDate) out.dueDate = rec.dueDate;
  return out;
}
