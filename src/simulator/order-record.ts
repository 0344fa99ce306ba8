import type { Portal } from '../domain/canonical-order.js';

/**
 * The simulator's record of every BRP order it created, in memory. Like the real BRP it does
 * not de-duplicate by `ordernr`: each accepted request is a new order, so a daemon that submits
 * twice shows up here twice. No personal data is kept in it.
 */

/** How the response to the created order went out (anything but `ok` means the client did not get a usable confirmation). */
export type SimDelivery = 'ok' | 'timeout-after-commit' | 'reset-after-commit' | 'malformed-2xx';

export interface SimOrderRecord {
  instance: string;
  origin: Portal;
  ordernr: string;
  brpOrderNumber: number;
  invoiceNumber: number;
  ocr: string;
  /** Order total incl. VAT, öre. */
  sum: number;
  /** Order total ex. VAT, öre. */
  sumExVat: number;
  /** VAT per rate (percent), öre, highest rate first: as on the invoice. */
  vatSums: Array<{ rate: number; amount: number }>;
  /** The invoice's dates, `YYYY-MM-DD`. */
  invoiceDate: string;
  dueDate: string;
  /** Business unit id as a string, e.g. `"1"`. */
  businessUnit: string;
  /** When BRP created the order (after its checks): ISO 8601 UTC timestamp. */
  createdAt: string;
  /**
   * When the request reached BRP's web service, before any check: what a rate limit at BRP's
   * door counts. ISO 8601 UTC timestamp.
   */
  receivedAt: string;
  delivery: SimDelivery;
}

export interface SimOrderFilter {
  instance?: string;
  origin?: string;
  ordernr?: string;
}

export class OrderLedger {
  private readonly records: SimOrderRecord[] = [];

  /** `keep` false: nothing is kept (the caller records orders itself); lists are empty. */
  constructor(private readonly keep = true) {}

  add(record: SimOrderRecord): void {
    if (this.keep) this.records.push(record);
  }

  /** Copies of the matching records, oldest first. */
  list(filter: SimOrderFilter = {}): SimOrderRecord[] {
    const out: SimOrderRecord[] = [];
    for (const r of this.records) {
      if (filter.instance !== undefined && r.instance !== filter.instance) continue;
      if (filter.origin !== undefined && r.origin !== filter.origin) continue;
      if (filter.ordernr !== undefined && r.ordernr !== filter.ordernr) continue;
      out.push({ ...r, vatSums: r.vatSums.map((v) => ({ ...v })) });
    }
    return out;
  }

  get size(): number {
    return this.records.length;
  }

  clear(): void {
    this.records.length = 0;
  }
}
