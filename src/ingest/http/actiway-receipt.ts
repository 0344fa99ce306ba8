import { create } from 'xmlbuilder2';
import type { FieldError } from '../../domain/canonical-order.js';

/**
 * Actiway's answer, `<ActiwayReceipt status="…" [orderId="…"]>[<Error path="…">…</Error>…]`
 * (actiway.md), built with xmlbuilder2, headless as in the contract.
 *
 * xmlbuilder2 (up to at least 4.0.3) leaves an `&` that already looks like an entity (`&amp;`,
 * `&#60;`) unescaped, in text and in attributes (see src/brp/order-xml.ts), so an order id like
 * `A&amp;B` would reach Actiway as `A&B`. Values are therefore pre-escaped (`&` → `&amp;`, which
 * the serializer then leaves alone), unless a probe at load shows the serializer escapes `&` itself.
 * Characters XML 1.0 cannot carry become U+FFFD: a receipt must always be writable.
 */

export const XML_CONTENT_TYPE = 'application/xml; charset=utf-8';

export type ActiwayReceiptStatus = 'accepted' | 'duplicate' | 'rejected' | 'unauthorized' | 'unavailable' | 'not-found' | 'method-not-allowed' | 'error';

const PRE_ESCAPE = (() => {
  const probe = create().ele(null, 'p', { a: '&amp;' }).txt('&amp;').end({ headless: true });
  if (probe === '<p a="&amp;">&amp;</p>') return true;
  if (probe === '<p a="&amp;amp;">&amp;amp;</p>') return false;
  throw new Error(`xmlbuilder2 escapes in an unexpected way (${probe}); actiway-receipt.ts must be reviewed`);
})();

const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

function xmlValue(value: string): string {
  const clean = value.replace(NOT_XML_CHAR, '\uFFFD');
  return PRE_ESCAPE ? clean.replace(/&/g, '&amp;') : clean;
}

export function actiwayReceipt(status: ActiwayReceiptStatus, options: { orderId?: string; errors?: readonly FieldError[] } = {}): string {
  const attributes: Record<string, string> = { status };
  if (options.orderId !== undefined) attributes.orderId = xmlValue(options.orderId);
  const root = create().ele(null, 'ActiwayReceipt', attributes);
  for (const e of options.errors ?? []) root.ele(null, 'Error', { path: xmlValue(e.path) }).txt(xmlValue(e.message));
  return root.end({ headless: true });
}
