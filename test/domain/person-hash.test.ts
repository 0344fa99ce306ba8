import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPersonHasher, erasureKeyFingerprint, personnummerPattern, personnummerSpellings } from '../../src/domain/person-hash.js';

const KEY = 'person-hash-test-key-0123456789abcdef';

test('one hash for every form of one number; another number, another key or an invalid number differ', () => {
  const hash = createPersonHasher(KEY);
  const now = new Date('2026-06-01T12:00:00Z');
  const a = hash('19111111-1116', now);
  assert.match(a ?? '', /^[0-9a-f]{64}$/);
  for (const form of ['191111111116', '111111+1116', '19111111+1116', ' 19111111-1116 ']) assert.equal(hash(form, now), a, form);
  assert.notEqual(hash('111111-1116', now), a, 'with - it is someone born in 2011');
  assert.equal(hash('701063-2391', now), hash('197010632391', now), 'samordningsnummer');
  assert.equal(hash('19111111-1117', now), undefined, 'check digit');
  assert.equal(hash('', now), undefined);
  assert.notEqual(createPersonHasher(`${KEY}x`)('191111111116', now), a);
  assert.notEqual(erasureKeyFingerprint(KEY), erasureKeyFingerprint(`${KEY}x`));
  assert.ok(!erasureKeyFingerprint(KEY).includes(KEY), 'the fingerprint is not the key');
});

test('every spelling of a number, found in text but not inside a longer run of digits', () => {
  assert.deepEqual(personnummerSpellings('191111111116'), ['191111111116', '19111111-1116', '19111111+1116', '1111111116', '111111-1116', '111111+1116']);
  const re = new RegExp(personnummerPattern('191111111116'));
  for (const text of ['x 19111111-1116 y', '111111+1116', '"1111111116"', 'nr:191111111116.']) assert.ok(re.test(text), text);
  for (const text of ['9191111111116', '11111111167', '111111-11160', '19111111-1117']) assert.ok(!re.test(text), text);
  assert.throws(() => personnummerSpellings('19111111-1116'), RangeError);
});
