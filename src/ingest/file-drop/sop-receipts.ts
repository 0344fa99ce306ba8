import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { CanonicalOrder } from '../../domain/canonical-order.js';
import { formatOreSwedish, isValidOre, lineAmountOre, sumOre } from '../../domain/money.js';
import type { Ledger, LedgerRecord } from '../../ledger/ledger.js';
import type { PortalOrder } from '../../portals/portal-order.js';
import { stringifySopCsv } from '../payload/sop-csv.js';
import { ensureSopFolders, sopFolder, writeFileAtomic } from './sop-folders.js';
import { stockholmDayBounds } from '../../domain/stockholm-date.js';
import { logEvent } from '../../observability/log-event.js';
import { PartnerdError } from '../../errors.js';

/**
 * S&P's daily receipt (sop.md): `outbox/receipts-YYYY-MM-DD.csv` lists the S&P orders whose
 * outcome became known that Stockholm day, in the order the outcomes arrived:
 *
 *   levererad  BRP confirmed it: BRP's order, invoice and OCR numbers, the amount BRP confirmed
 *   avvisad    BRP (or partnerd's own validation) rejected it: the recorded error messages
 *   avvisad    it could not be routed (venue or article not configured): the reason
 *
 * The amount of a rejected or unroutable order is the sum of its lines as S&P sent them (kept
 * after its personal data is removed).
 * "That day" is when the order reached the outcome it rests in (the ledger's `final_at`): an order
 * that left its outcome since (a rejected order re-queued, an unroutable one re-routed) is not
 * listed for that day; it is listed on the day of its next outcome. The file is written to a temporary name and renamed, so S&P
 * never reads half of it; running again for the same day gives the same file, replaced.
 */

export const RECEIPT_HEADER = ['Ordernummer', 'Status', 'BRP-ordernummer', 'Fakturanummer', 'OCR', 'Belopp', 'Meddelande'] as const;

export type SopReceiptServices = { ledger: Ledger; logger: Logger; config: Pick<Config, 'portals'> };

const JOIN_MESSAGES = ' | ';

/** Writes the receipts of one Stockholm day (`YYYY-MM-DD`); returns the file's path. */
export async function writeSopReceipts(services: SopReceiptServices, day: string): Promise<string> {
  const root = services.config.portals.sop?.root;
  if (!root) throw new PartnerdError('PD_CONFIG_INVALID', 'portals.sop is not configured (or is switched off)');
  const { start, end } = stockholmDayBounds(day);
  await ensureSopFolders(root);

  const rows: string[][] = [];
  for (const rec of await services.ledger.finalBetween('sop', start, end)) {
    const row = receiptRow(rec);
    if (row) rows.push(row);
  }

  const path = join(sopFolder(root, 'outbox'), `receipts-${day}.csv`);
  await writeFileAtomic(path, stringifySopCsv([[...RECEIPT_HEADER], ...rows]));
  logEvent(services.logger, 'sop.receipts.written', { day, file: `outbox/receipts-${day}.csv`, rows: rows.length });
  return path;
}

/** One receipt line, or undefined when the order no longer rests in an outcome. */
export function receiptRow(rec: LedgerRecord): string[] | undefined {
  switch (rec.state) {
    case 'confirmed':
      // BRP's sum; for an order BRP's answer gave none for (resolved by an operator, an unreadable
      // 2xx), the total as S&P sent it: the same amount the invoice export and the daily report give.
      return [rec.ordernr, 'levererad', rec.brpOrderNumber ?? '', rec.invoiceNumber ?? '', rec.ocr ?? '', amount(rec.sumOre ?? rec.orderTotalOre), ''];
    case 'rejected':
      return [rec.ordernr, 'avvisad', '', '', '', amount(orderAmount(rec)), rejectionMessage(rec)];
    case 'unroutable':
      return [rec.ordernr, 'avvisad', '', '', '', amount(orderAmount(rec)), rec.unroutableReason ?? ''];
    default:
      return undefined;
  }
}

function amount(ore: number | undefined): string {
  return ore !== undefined && isValidOre(ore) ? formatOreSwedish(ore) : '';
}

/**
 * What S&P asked for: the total kept for the record's life, else (orders registered before it was
 * kept) the canonical items while the payload is kept, else the portal order's lines.
 */
function orderAmount(rec: LedgerRecord): number | undefined {
  if (rec.orderTotalOre !== undefined) return rec.orderTotalOre;
  const payload = rec.payload as CanonicalOrder | undefined;
  if (payload?.items?.length) return sumOre(payload.items.map((i) => i.priceIncVatOre));
  const portalOrder = rec.portalOrder as Partial<PortalOrder> | undefined;
  if (portalOrder?.lines?.length) return sumOre(portalOrder.lines.map(lineAmountOre));
  return undefined;
}

function rejectionMessage(rec: LedgerRecord): string {
  const messages = (rec.brpError?.errors ?? []).map((e) => e.message).filter((m) => typeof m === 'string' && m !== '');
  if (messages.length > 0) return messages.join(JOIN_MESSAGES);
  return rec.lastError ?? '';
}
