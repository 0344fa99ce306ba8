import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdminTokens, bearerToken } from '../../src/admin/http/admin-tokens.js';
import { changedPaths, applyOrderPatch } from '../../src/admin/order-changes.js';
import { parseSelection, parseStates, decodeCursor, encodeCursor } from '../../src/admin/order-selection.js';
import { scrubFreeText } from '../../src/observability/mask.js';
import { testConfig } from '../../support/pipeline.js';

test('admin tokens: only a whole configured token matches, by name; the session fingerprint changes when the token is rotated', () => {
  const tokens = new AdminTokens([{ name: 'alice', token: 'a'.repeat(32) }, { name: 'bob', token: 'b'.repeat(32) }]);
  assert.equal(tokens.verify('a'.repeat(32)), 'alice');
  assert.equal(tokens.verify('b'.repeat(32)), 'bob');
  for (const wrong of [undefined, '', 'a'.repeat(31), 'a'.repeat(33), `${'a'.repeat(32)} `]) assert.equal(tokens.verify(wrong), undefined, String(wrong));
  const rotated = new AdminTokens([{ name: 'alice', token: 'c'.repeat(32) }]);
  assert.ok(tokens.fingerprint('alice'));
  assert.notEqual(tokens.fingerprint('alice'), rotated.fingerprint('alice'), 'a rotated token ends the sessions of the old one');
  assert.equal(rotated.fingerprint('bob'), undefined, 'a removed token ends its sessions');
  assert.doesNotMatch(tokens.fingerprint('alice')!, /aaaa/);
  assert.equal(new AdminTokens([]).verify(''), undefined, 'no tokens: nobody');
  assert.equal(bearerToken('Bearer abc.DEF-123'), 'abc.DEF-123');
  assert.equal(bearerToken('Basic abc'), undefined);
  assert.equal(bearerToken(undefined), undefined);
});

test('selection: unknown states list the valid ones, unknown tenants and portals are errors, times are checked', () => {
  const config = testConfig({ redis: 'redis://127.0.0.1:9' }, 'http://127.0.0.1:9/t1/');
  assert.deepEqual(parseStates('dead,rejected'), { states: ['dead', 'rejected'], review: false });
  assert.deepEqual(parseStates(['in_doubt', 'review']), { states: ['in_doubt'], review: true });
  assert.throws(() => parseStates('failed'), /unknown state "failed" \(valid: queued, submitting, retrying, confirmed, rejected, in_doubt, dead, unroutable, rerouted, review\)/);
  assert.throws(() => parseSelection(config, { tenant: 'sandbx' }), /no tenant with that name is configured: sandbx \(configured: t1; ~ for unroutable orders\)/);
  assert.deepEqual(parseSelection(config, { tenant: '~' }), { tenant: '~' });
  assert.throws(() => parseSelection(config, { portal: 'benfy' }), /unknown portal "benfy" \(valid: benify, wellnet, sop, actiway, epassi\)/);
  assert.throws(() => parseSelection(config, { since: 'yesterday' }), /since must be a date/);
  assert.throws(() => parseSelection(config, { since: '2026-12-02', until: '2026-12-01' }), /since must be before until/);
  assert.deepEqual(parseSelection(config, { since: '2026-12-01' }).since, new Date('2026-12-01T00:00:00Z'));
  const cursor = encodeCursor({ updatedAt: '2026-12-01T10:00:00.000Z', key: 't1:benify:A' });
  assert.deepEqual(decodeCursor(cursor), { updatedAt: '2026-12-01T10:00:00.000Z', key: 't1:benify:A' });
  assert.throws(() => decodeCursor('garbage'), /cursor is not one this listing gave out/);
});

test('amend: a merge patch over the stored order; changed fields by path, never values', () => {
  const stored = { tenant: 't1', person: { firstName: 'Tessan', email: 'a@b.se' }, items: [{ productNumber: '9999', priceIncVatOre: 1 }] };
  const patched = applyOrderPatch(stored, { person: { email: 'c@d.se' }, items: [{ productNumber: '1001', priceIncVatOre: 1 }] });
  assert.deepEqual(patched, { tenant: 't1', person: { firstName: 'Tessan', email: 'c@d.se' }, items: [{ productNumber: '1001', priceIncVatOre: 1 }] });
  assert.equal(stored.person.email, 'a@b.se', 'the stored order is not changed in place');
  assert.deepEqual(changedPaths(stored, patched), ['items[0].productNumber', 'person.email']);
  assert.deepEqual(changedPaths(stored, stored), []);
  assert.throws(() => applyOrderPatch(stored, [1]), /must be a JSON object/);
});

test('free text on its way to the log: personnummer, e-mail and phones masked, order numbers and dates kept', () => {
  assert.equal(
    scrubFreeText('called 19111111-1116 at 0731234567 / +46 731 23 45 67, mail tessan@test.com; order BNF-2026-0001234 of 2026-12-01'),
    'called 19xxxxxx-xx16 at 07xxxxxx67 / +46 xxx xx xx 67, mail t***@test.com; order BNF-2026-0001234 of 2026-12-01',
  );
});
