import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonText } from '../../../src/ingest/payload/json-text.js';
import { decodeUtf8Strict } from '../../../src/ingest/payload/strict-utf8.js';

const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

describe('decodeUtf8Strict', () => {
  test('valid UTF-8 is decoded as is; a leading byte-order mark is dropped, a later one kept', () => {
    assert.deepEqual(decodeUtf8Strict(bytes('Åsa Öberg')), { ok: true, text: 'Åsa Öberg' });
    assert.deepEqual(decodeUtf8Strict(bytes([0xef, 0xbb, 0xbf], '{"a":1}')), { ok: true, text: '{"a":1}' });
    assert.deepEqual(decodeUtf8Strict(bytes('a', [0xef, 0xbb, 0xbf])), { ok: true, text: 'a\uFEFF' });
    assert.deepEqual(decodeUtf8Strict(bytes('a\uFFFDb')), { ok: true, text: 'a\uFFFDb' }, 'a real U+FFFD is text like any other');
  });

  test('invalid UTF-8 is an error at the first bad byte: its offset in the input and its line', () => {
    assert.deepEqual(decodeUtf8Strict(bytes('Tes', [0xff], 'san')), { ok: false, error: { byte: 3, line: 1 } });
    assert.deepEqual(decodeUtf8Strict(bytes([0xef, 0xbb, 0xbf], 'a\r\nb\rc\nÅ', [0xc3])), { ok: false, error: { byte: 12, line: 4 } }, 'BOM counted, a cut-off sequence at the end');
    assert.deepEqual(decodeUtf8Strict(bytes('\uFFFD\n\uFFFD', [0xed, 0xa0, 0x80])), { ok: false, error: { byte: 7, line: 2 } }, 'real U+FFFDs skipped; an encoded surrogate is invalid');
    assert.deepEqual(decodeUtf8Strict(bytes([0xc0, 0xaf])), { ok: false, error: { byte: 0, line: 1 } }, 'overlong');
    assert.deepEqual(decodeUtf8Strict(bytes([0xef, 0xbb])), { ok: false, error: { byte: 0, line: 1 } }, 'half a BOM');
  });
});

describe('parseJsonText', () => {
  test('a syntax error is told by place when V8 gives one, never with the parser\'s words', () => {
    assert.deepEqual(parseJsonText('{"a":[1]}'), { ok: true, value: { a: [1] } });
    assert.deepEqual(parseJsonText('{\n  "a": 1'), { ok: false, where: 'line 2, column 9' });
    const quoted = parseJsonText('{"name": Tessan}');
    assert.equal(quoted.ok, false);
    assert.ok(!JSON.stringify(quoted).includes('Tessan'));
  });
});
