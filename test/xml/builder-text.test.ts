import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from 'xmlbuilder2';
import { builderAttribute, builderText } from '../../src/xml/builder-text.js';
import { parseUntrustedXml } from '../../src/xml/safe-xml.js';
import { actiwayReceipt } from '../../src/ingest/http/actiway-receipt.js';
import { errorsXml } from '../../src/simulator/error-codes.js';

const TRICKY = ['AT&amp;T', 'Fish &chips;', '&#60;tag&#62;', 'a & b < c > d " e \' f', 'line\r\nbreak', 'Åsa 😀'];

test('text and attribute values arrive unchanged through xmlbuilder2', () => {
  for (const value of TRICKY) {
    const xml = create().ele(null, 'p', { a: builderAttribute(value + '\tend') }).txt(builderText(value)).end({ headless: true });
    const parsed = parseUntrustedXml(xml).p as Record<string, string>;
    assert.equal(parsed['#text'], value.trim(), xml);
    assert.equal(parsed['@_a'], `${value}\tend`, xml);
  }
});

test('every writer of outside-facing XML uses it: Actiway receipts and the simulator\'s <errors>', () => {
  const receipt = parseUntrustedXml(actiwayReceipt('duplicate', { orderId: 'AW-&amp;1' })).ActiwayReceipt as Record<string, string>;
  assert.equal(receipt['@_orderId'], 'AW-&amp;1');
  const errors = parseUntrustedXml(errorsXml('XSD_INVALID', 'value &lt;x&gt; & more'), { arrays: ['error'] });
  const first = ((errors.errors as Record<string, unknown>).error as Array<Record<string, string>>)[0]!;
  assert.equal(first.debuginfo, 'value &lt;x&gt; & more');
});
