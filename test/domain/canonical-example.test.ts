import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PORTALS, type Portal } from '../../src/domain/canonical-order.js';
import { validateOrder } from '../../src/domain/validate-order.js';
import { readPortalPayload } from '../../src/ingest/payload/read-portal-payload.js';

/**
 * The canonical order example operators copy (README, examples/canonical-order.json): valid, the
 * same in both places, and with an order number no portal example uses — an operator who submits
 * it and then tries a portal's example must not get `duplicate` for the portal's order.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NOW = new Date('2026-11-20T12:00:00Z');
const EXAMPLE = JSON.parse(readFileSync(join(ROOT, 'examples/canonical-order.json'), 'utf8')) as { portal: string; ordernr: string };

test('the README shows examples/canonical-order.json as its canonical order file', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const intro = readme.indexOf('A canonical order file');
  assert.ok(intro >= 0, 'the README introduces the canonical order file');
  const block = /```json\n([\s\S]*?)```/.exec(readme.slice(intro));
  assert.ok(block, 'followed by a JSON block');
  assert.deepEqual(JSON.parse(block[1]!), EXAMPLE);
});

test('the canonical example is a valid order', () => {
  const r = validateOrder(EXAMPLE, { personnummerForm: 'short', now: NOW });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
});

test('no portal example uses the canonical example\'s order number', () => {
  const dir = join(ROOT, 'examples/portals');
  const seen = new Map<Portal, string[]>();
  for (const file of readdirSync(dir)) {
    const portal = PORTALS.find((p) => file.startsWith(`${p}-`));
    assert.ok(portal, `${file} names its portal`);
    const read = readPortalPayload(portal, readFileSync(join(dir, file)), NOW);
    assert.ok(read.ok, `${file} is readable`);
    const ids = read.orders.map((o) => (o.adapted.ok ? o.adapted.order.ordernr : o.adapted.ordernr)).filter((id): id is string => id !== undefined);
    seen.set(portal, [...(seen.get(portal) ?? []), ...ids]);
  }
  assert.deepEqual([...seen.keys()].sort(), [...PORTALS].sort(), 'every portal has an example');
  for (const [portal, ids] of seen) {
    assert.ok(ids.length > 0, `${portal}: its example's order ids were read`);
    assert.ok(!ids.includes(EXAMPLE.ordernr), `${portal}'s example uses ${EXAMPLE.ordernr}`);
  }
});
