import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalisePhone } from '../../src/domain/phone.js';

function value(input: string): string | undefined {
  const r = normalisePhone(input);
  assert.ok(r.ok, `expected ${JSON.stringify(input)} to be accepted, got: ${r.ok ? '' : r.message}`);
  return r.value;
}
function message(input: string): string {
  const r = normalisePhone(input);
  assert.equal(r.ok, false, `expected ${JSON.stringify(input)} to be rejected`);
  return r.ok ? '' : r.message;
}

describe('normalisePhone', () => {
  it('E.164 Swedish numbers become national form', () => {
    assert.equal(value('+46731234567'), '0731234567');
    assert.equal(value('+46 73 123 45 67'), '0731234567');
    assert.equal(value('+46812345'), '0812345');
    assert.equal(value('+46 (0)8-123 45'), '0812345'); // the trunk 0 in parentheses is not doubled
  });

  it('00 international prefix', () => {
    assert.equal(value('0046731234567'), '0731234567');
    assert.equal(value('0046 8 123 45'), '0812345');
    assert.equal(value('0045 12 34 56 78'), '+4512345678');
  });

  it('spaces, dashes and parentheses are removed from national numbers', () => {
    assert.equal(value('08-123 45'), '0812345');
    assert.equal(value('073-123 45 67'), '0731234567');
    assert.equal(value('(08) 123 456 78'), '0812345678');
    assert.equal(value('0731234567'), '0731234567');
    assert.equal(value('  070\u00A0123\u202F45\u00A067 '), '0701234567');
  });

  it('other country codes keep the + form, digits only', () => {
    assert.equal(value('+4512345678'), '+4512345678');
    assert.equal(value('+45 12 34 56 78'), '+4512345678');
    assert.equal(value('+1 (212) 555-0100'), '+12125550100');
    assert.equal(value('+358 40 123 4567'), '+358401234567');
  });

  it('empty or blank means no phone, not an error', () => {
    assert.deepEqual(normalisePhone(''), { ok: true, value: undefined });
    assert.deepEqual(normalisePhone('   '), { ok: true, value: undefined });
  });

  it('letters and other characters are rejected', () => {
    for (const input of ['073-123 45 67 ext 5', '0731234567a', 'tel:0731234567', '073.123.45.67', '073/1234567', '073_1234567', '+46731234567#', '0731234567\u0000']) {
      assert.match(message(input), /may only contain digits/, JSON.stringify(input));
    }
  });

  it('a + anywhere but the start is rejected', () => {
    assert.match(message('073+1234567'), /only have \+ at the start/);
    assert.match(message('++46731234567'), /only have \+ at the start/);
  });

  it('numbers that are neither national nor international are rejected, not guessed', () => {
    assert.match(message('46731234567'), /must start with 0, \+ or 00/);
    assert.match(message('731234567'), /must start with 0, \+ or 00/);
  });

  it('impossible lengths', () => {
    assert.match(message('+46'), /Swedish phone number has the wrong length/);
    assert.match(message('08-123'), /Swedish phone number has the wrong length/);
    assert.match(message('0731234567890123'), /Swedish phone number has the wrong length/);
    assert.match(message('+45 12'), /international phone number has the wrong length/);
    assert.match(message('+4512345678901234'), /international phone number has the wrong length/);
    assert.match(message('+0123456789'), /international phone number has the wrong length/);
  });

  it('messages never contain the number', () => {
    assert.doesNotMatch(message('0731234567a'), /073/);
  });
});
