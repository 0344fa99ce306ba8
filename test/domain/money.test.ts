import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatOreDecimal, formatOreExact, formatOreSwedish, isValidOre, parseSekToOre } from '../../src/domain/money.js';

const ore = (text: string) => {
  const r = parseSekToOre(text);
  assert.ok(r.ok, `expected ${JSON.stringify(text)} to parse, got ${r.ok ? '' : r.message}`);
  return r.ore;
};
const rejected = (text: string) => {
  const r = parseSekToOre(text);
  assert.equal(r.ok, false, `expected ${JSON.stringify(text)} to be rejected`);
  return r.ok ? '' : r.message;
};

describe('parseSekToOre', () => {
  it('converts without floating point', () => {
    assert.equal(ore('0.29'), 29); // 0.29 * 100 === 28.999999999999996 in floating point
    assert.equal(ore('0,29'), 29);
    assert.equal(ore('1.15'), 115);
    assert.equal(ore('4.35'), 435);
    assert.equal(ore('2500.00'), 250000);
    assert.equal(ore('10'), 1000);
    assert.equal(ore('950,5'), 95050);
    assert.equal(ore('0'), 0);
    assert.equal(ore('0.00'), 0);
    assert.equal(ore('0.01'), 1);
  });

  it('accepts Swedish formatting: space groups, decimal comma, kr/SEK suffix', () => {
    assert.equal(ore('2 500,00 kr'), 250000);
    assert.equal(ore('2 500,00kr'), 250000);
    assert.equal(ore('2 500,00 KR'), 250000);
    assert.equal(ore('2500 SEK'), 250000);
    assert.equal(ore('2500.00 sek'), 250000);
    assert.equal(ore('1 234 567,89'), 123456789);
    assert.equal(ore('  2 500  '), 250000);
  });

  it('accepts no-break space and narrow no-break space as group separators', () => {
    assert.equal(ore('2\u00A0500,00\u00A0kr'), 250000);
    assert.equal(ore('2\u202F500,00'), 250000);
    assert.equal(ore('1\u00A0000\u202F000'), 100000000);
  });

  it('rejects more than two decimals', () => {
    assert.match(rejected('1.234'), /more than two decimals/);
    assert.match(rejected('0.001'), /more than two decimals/);
    assert.match(rejected('2 500,000'), /more than two decimals/);
  });

  it('rejects negative amounts', () => {
    assert.match(rejected('-5'), /negative/);
    assert.match(rejected('-0.29 kr'), /negative/);
    assert.match(rejected('\u22125,00'), /negative/);
  });

  it('rejects empty and garbage', () => {
    assert.match(rejected(''), /empty/);
    assert.match(rejected('   '), /empty/);
    assert.match(rejected('kr'), /empty/);
    assert.match(rejected('abc'), /not a decimal number/);
    assert.match(rejected('12a'), /not a decimal number/);
    assert.match(rejected('+5'), /not a decimal number/);
    assert.match(rejected('10.'), /not a decimal number/);
    assert.match(rejected('.50'), /not a decimal number/);
    assert.match(rejected('1e3'), /not a decimal number/);
    assert.match(rejected('SEK 100'), /not a decimal number/);
    assert.match(rejected('0x10'), /not a decimal number/);
  });

  it('rejects ambiguous separators instead of guessing', () => {
    assert.match(rejected('1,234.56'), /more than one/);
    assert.match(rejected('1.234,56'), /more than one/);
    assert.match(rejected('1.234.567'), /more than one/);
  });

  it('rejects thousands groups that are not three digits', () => {
    assert.match(rejected('2 50,00'), /three digits/);
    assert.match(rejected('25 0000'), /three digits/);
    assert.match(rejected('1234 567'), /three digits/);
    assert.match(rejected('2  500'), /three digits/);
  });

  it('rejects amounts above Number.MAX_SAFE_INTEGER öre', () => {
    assert.equal(ore('90071992547409.91'), Number.MAX_SAFE_INTEGER);
    assert.match(rejected('90071992547409.92'), /too large/);
    assert.match(rejected('99999999999999999999999'), /too large/);
  });

  it('does not echo the input in its messages', () => {
    assert.doesNotMatch(rejected('12345.678'), /12345/);
  });
});

describe('formatting öre', () => {
  it('formatOreSwedish groups with a plain space and uses a decimal comma', () => {
    assert.equal(formatOreSwedish(251000), '2 510,00');
    assert.equal(formatOreSwedish(29), '0,29');
    assert.equal(formatOreSwedish(0), '0,00');
    assert.equal(formatOreSwedish(99999), '999,99');
    assert.equal(formatOreSwedish(123456789), '1 234 567,89');
  });

  it('formatOreDecimal is machine style', () => {
    assert.equal(formatOreDecimal(251000), '2510.00');
    assert.equal(formatOreDecimal(29), '0.29');
    assert.equal(formatOreDecimal(5), '0.05');
    assert.equal(formatOreDecimal(Number.MAX_SAFE_INTEGER), '90071992547409.91');
  });

  it('round-trips through parseSekToOre', () => {
    for (const n of [0, 1, 29, 100, 95050, 250000, 123456789]) {
      assert.equal(ore(formatOreSwedish(n)), n);
      assert.equal(ore(formatOreDecimal(n)), n);
    }
  });

  it('refuses what is not an amount of öre', () => {
    assert.throws(() => formatOreSwedish(-1), RangeError);
    assert.throws(() => formatOreDecimal(1.5), RangeError);
    assert.throws(() => formatOreDecimal(Number.MAX_SAFE_INTEGER + 1), RangeError);
  });
});

describe('isValidOre', () => {
  it('accepts non-negative safe integers only', () => {
    assert.equal(isValidOre(0), true);
    assert.equal(isValidOre(250000), true);
    assert.equal(isValidOre(Number.MAX_SAFE_INTEGER), true);
    assert.equal(isValidOre(-1), false);
    assert.equal(isValidOre(0.5), false);
    assert.equal(isValidOre(Number.MAX_SAFE_INTEGER + 1), false);
    assert.equal(isValidOre(Number.NaN), false);
    assert.equal(isValidOre(Infinity), false);
    assert.equal(isValidOre('100'), false);
    assert.equal(isValidOre(100n), false);
    assert.equal(isValidOre(null), false);
  });
});

describe('formatOreExact', () => {
  it('formats any bigint of öre exactly, with either decimal mark', () => {
    assert.equal(formatOreExact(251000n), '2510.00');
    assert.equal(formatOreExact(251000n, ','), '2510,00');
    assert.equal(formatOreExact(5n), '0.05');
    assert.equal(formatOreExact(0n, ','), '0,00');
    assert.equal(formatOreExact(-5n), '-0.05');
    assert.equal(formatOreExact(-123456n, ','), '-1234,56');
    // Past Number.MAX_SAFE_INTEGER: still exact.
    assert.equal(formatOreExact(9007199254740993n), '90071992547409.93');
  });
});
