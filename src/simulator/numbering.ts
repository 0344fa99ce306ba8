import luhn from 'luhn-js';

/**
 * Order, invoice and OCR numbering of one BRP instance. Order and invoice numbers count up per
 * instance (each accepted partner order creates one of each).
 *
 * OCR numbers follow the Swedish Bankgirot "hård kontroll med längdkontroll" layout, which is
 * exactly what the doc's example shows (invoice 14 → OCR 1446):
 *
 *   reference (the invoice number) + length digit + Luhn (mod 10) check digit
 *
 * where the length digit is the total length of the OCR number (reference + 2) modulo 10.
 * The check digit comes from the `luhn-js` package (project rule: no hand-rolled Luhn).
 */

export const FIRST_ORDER_NUMBER = 1;
export const FIRST_INVOICE_NUMBER = 1;

export class InstanceNumbering {
  private order = FIRST_ORDER_NUMBER;
  private invoice = FIRST_INVOICE_NUMBER;

  nextOrderNumber(): number {
    return this.order++;
  }

  nextInvoiceNumber(): number {
    return this.invoice++;
  }

  reset(): void {
    this.order = FIRST_ORDER_NUMBER;
    this.invoice = FIRST_INVOICE_NUMBER;
  }
}

/** OCR number for a reference of digits: reference + length digit + Luhn check digit. */
export function ocrNumber(reference: number | string): string {
  const ref = String(reference);
  if (!/^\d+$/.test(ref)) throw new RangeError('OCR reference must be digits');
  const lengthDigit = String((ref.length + 2) % 10);
  return luhn.generate(ref + lengthDigit);
}

/** True when `ocr` passes the Luhn (mod 10) check and its length digit matches its length. */
export function isValidOcr(ocr: string): boolean {
  if (!/^\d{3,}$/.test(ocr)) return false;
  const lengthDigit = Number(ocr[ocr.length - 2]);
  return lengthDigit === ocr.length % 10 && luhn.isValid(ocr);
}
