import { create } from 'xmlbuilder2';
import { builderAttribute, builderText } from '../../xml/builder-text.js';
import type { FieldError } from '../../domain/canonical-order.js';
import { NOT_XML_CHAR } from '../../domain/xml-text.js';

/**
 * Actiway's answer, `<ActiwayReceipt status="…" [orderId="…"]>[<Error path="…">…</Error>…]`
 * (actiway.md), built with xmlbuilder2, headless as in the contract.
 * Values go through builderText (xmlbuilder2 would send an order id like `A&amp;B` as `A&B`).
 * Characters XML 1.0 cannot carry become U+FFFD: a receipt must always be writable.
 */

export const XML_CONTENT_TYPE = 'application/xml; charset=utf-8';

export type ActiwayReceiptStatus = 'accepted' | 'duplicate' | 'rejected' | 'unauthorized' | 'too-many-requests' | 'unavailable' | 'not-found' | 'method-not-allowed' | 'error';

const NOT_XML_CHARS = new RegExp(NOT_XML_CHAR.source, 'gu');

const writable = (value: string) => value.replace(NOT_XML_CHARS, '\uFFFD');

export function actiwayReceipt(status: ActiwayReceiptStatus, options: { orderId?: string; errors?: readonly FieldError[] } = {}): string {
  const attributes: Record<string, string> = { status };
  if (options.orderId !== undefined) attributes.orderId = builderAttribute(writable(options.orderId));
  const root = create().ele(null, 'ActiwayReceipt', attributes);
  for (const e of options.errors ?? []) root.ele(null, 'Error', { path: builderAttribute(writable(e.path)) }).txt(builderText(writable(e.message)));
  return root.end({ headless: true });
}
