import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findXmlIllegalChar, formatCodePoint } from '../../src/domain/xml-text.js';

describe('findXmlIllegalChar', () => {
  it('finds C0 controls other than tab, LF, CR', () => {
    assert.deepEqual(findXmlIllegalChar('a\u0000b'), { index: 1, codePoint: 0x0 });
    assert.deepEqual(findXmlIllegalChar('\u0008'), { index: 0, codePoint: 0x8 });
    assert.deepEqual(findXmlIllegalChar('abc\u001F'), { index: 3, codePoint: 0x1f });
    assert.deepEqual(findXmlIllegalChar('\u000B'), { index: 0, codePoint: 0xb });
    assert.deepEqual(findXmlIllegalChar('\u000C'), { index: 0, codePoint: 0xc });
  });

  it('finds the non-characters U+FFFE and U+FFFF', () => {
    assert.deepEqual(findXmlIllegalChar('x\uFFFE'), { index: 1, codePoint: 0xfffe });
    assert.deepEqual(findXmlIllegalChar('\uFFFF'), { index: 0, codePoint: 0xffff });
  });

  it('finds lone surrogates, high or low', () => {
    assert.deepEqual(findXmlIllegalChar('ab\uD83D'), { index: 2, codePoint: 0xd83d });
    assert.deepEqual(findXmlIllegalChar('\uDE00ab'), { index: 0, codePoint: 0xde00 });
    assert.deepEqual(findXmlIllegalChar('\uD83Dx\uDE00'), { index: 0, codePoint: 0xd83d });
    // A reversed pair is two lone surrogates.
    assert.deepEqual(findXmlIllegalChar('\uDE00\uD83D'), { index: 0, codePoint: 0xde00 });
  });

  it('reports the first offender, with UTF-16 indexes after astral characters', () => {
    assert.deepEqual(findXmlIllegalChar('😀\u0001\u0002'), { index: 2, codePoint: 0x1 });
  });

  it('accepts tab, LF, CR, text, markup characters, Swedish letters and emoji', () => {
    for (const text of ['', 'a\tb\nc\r\nd', '& < > " \'', 'åäö ÅÄÖ é ü', '😀 👍🏽 🇸🇪 👩‍👩‍👧', '\u0020\uD7FF\uE000\uFFFD', '\u{10000}\u{10FFFF}', '\u0085\u2028\uFEFF']) {
      assert.equal(findXmlIllegalChar(text), undefined, JSON.stringify(text));
    }
  });

  it('boundaries of the allowed ranges', () => {
    assert.equal(findXmlIllegalChar('\u001F')?.codePoint, 0x1f);
    assert.equal(findXmlIllegalChar('\u0020'), undefined);
    assert.equal(findXmlIllegalChar('\uD7FF'), undefined);
    assert.equal(findXmlIllegalChar('\uE000'), undefined);
    assert.equal(findXmlIllegalChar('\uFFFD'), undefined);
    assert.equal(findXmlIllegalChar('\u007F'), undefined); // DEL is legal in XML 1.0 (discouraged, not forbidden)
  });
});

describe('formatCodePoint', () => {
  it('U+ and at least four hex digits', () => {
    assert.equal(formatCodePoint(0), 'U+0000');
    assert.equal(formatCodePoint(0xfffe), 'U+FFFE');
    assert.equal(formatCodePoint(0x1f600), 'U+1F600');
  });
});

it('NOT_XML_CHAR and findXmlIllegalChar agree, code point by code point', async () => {
  const { NOT_XML_CHAR, findXmlIllegalChar } = await import('../../src/domain/xml-text.js');
  const samples = [0x0, 0x8, 0x9, 0xa, 0xb, 0xd, 0x1f, 0x20, 0x7f, 0xd7ff, 0xd800, 0xdfff, 0xe000, 0xfffd, 0xfffe, 0xffff, 0x10000, 0x1f600, 0x10ffff];
  for (const cp of samples) {
    const s = cp >= 0xd800 && cp <= 0xdfff ? String.fromCharCode(cp) : String.fromCodePoint(cp);
    assert.equal(NOT_XML_CHAR.test(s), findXmlIllegalChar(s) !== undefined, `U+${cp.toString(16)}`);
  }
});
