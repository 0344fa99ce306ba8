import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PersonnummerForm } from '../../src/domain/canonical-order.js';
import { isCoordinationNumber, normalisePersonnummer } from '../../src/domain/personnummer.js';

// All numbers here are valid under the library (checked), none belongs to a known real person.
// 19111111-1116 is the library's own test number.
const NOW = new Date('2026-06-15T10:00:00Z');

function value(input: string, form: PersonnummerForm, now: Date = NOW): string {
  const r = normalisePersonnummer(input, form, now);
  assert.ok(r.ok, `expected ${input} to be valid, got: ${r.ok ? '' : r.message}`);
  return r.value;
}
function message(input: string, form: PersonnummerForm = 'short', now: Date = NOW): string {
  const r = normalisePersonnummer(input, form, now);
  assert.equal(r.ok, false, `expected ${input} to be rejected`);
  return r.ok ? '' : r.message;
}

describe('normalisePersonnummer: accepted input forms', () => {
  const forms = ['19850709-9805', '198507099805', '850709-9805', '8507099805', '  850709-9805\n', '\t198507099805 '];
  for (const input of forms) {
    it(`${JSON.stringify(input)} → 850709-9805 / 198507099805`, () => {
      assert.equal(value(input, 'short'), '850709-9805');
      assert.equal(value(input, 'long'), '198507099805');
    });
  }

  it('the library test number in all its forms', () => {
    assert.equal(value('19111111-1116', 'long'), '191111111116');
    assert.equal(value('191111111116', 'short'), '111111+1116'); // 115 years old
    assert.equal(value('111111+1116', 'long'), '191111111116');
    // Without `+`, 10 digits mean "under 100": the same digits are someone born in 2011.
    assert.equal(value('111111-1116', 'long'), '201111111116');
    assert.equal(value('1111111116', 'long'), '201111111116');
    assert.equal(value('111111-1116', 'short'), '111111-1116');
  });

  it('a 12-digit number with a consistent + is accepted', () => {
    assert.equal(value('19111111+1116', 'short'), '111111+1116');
  });
});

describe('normalisePersonnummer: century and the + separator (Skatteverket: from the year the person turns 100)', () => {
  it('turns 100 today → +', () => {
    const birthday = new Date('2026-11-26T09:00:00Z');
    assert.equal(value('192611261237', 'short', birthday), '261126+1237');
  });

  it('turns 100 later this year → already + (the rule is by calendar year, as in the library)', () => {
    assert.equal(value('192612311239', 'short'), '261231+1239');
    assert.equal(value('192611261237', 'short'), '261126+1237');
  });

  it('turns 100 next year → still -', () => {
    assert.equal(value('192701011237', 'short', new Date('2026-12-31T12:00:00Z')), '270101-1237');
  });

  it('switches at Stockholm midnight on New Year, not UTC midnight', () => {
    // 2025-12-31T22:59:59Z is 23:59:59 in Stockholm; 23:00:00Z is already 2026-01-01 there.
    assert.equal(value('192601011238', 'short', new Date('2025-12-31T22:59:59Z')), '260101-1238');
    assert.equal(value('192601011238', 'short', new Date('2025-12-31T23:00:00Z')), '260101+1238');
  });

  it('10 digits with + → born 100–199 calendar years ago', () => {
    assert.equal(value('260101+1238', 'long'), '192601011238');
    assert.equal(value('261231+1239', 'long'), '192612311239');
    assert.equal(value('270101+1237', 'long'), '182701011237');
  });

  it('10 digits with - or none → born within the last 100 calendar years (this one included)', () => {
    assert.equal(value('260101-1238', 'long'), '202601011238');
    assert.equal(value('2601011238', 'long'), '202601011238');
    assert.equal(value('270101-1237', 'long'), '192701011237');
  });

  it('round-trips: the short form it writes reads back as the same person', () => {
    for (const long of ['191111111116', '192601011238', '192612311239', '192701011237', '198507099805', '202601011238']) {
      assert.equal(value(value(long, 'short'), 'long'), long);
    }
  });

  it('the century decides whether 29 February exists', () => {
    assert.equal(value('000229-1235', 'long'), '200002291235'); // 2000 is a leap year
    assert.match(message('000229+1235'), /impossible birth date/); // 1900 is not
    assert.equal(value('201202291231', 'short'), '120229-1231');
  });
});

describe('normalisePersonnummer: samordningsnummer', () => {
  it('day + 60 is valid and keeps its digits', () => {
    assert.equal(value('19111171-1113', 'short'), '111171+1113');
    assert.equal(value('111171+1113', 'long'), '191111711113');
    assert.equal(value('198507699802', 'short'), '850769-9802');
    assert.equal(value('260161-1235', 'long'), '202601611235');
  });

  it('isCoordinationNumber tells them apart', () => {
    assert.equal(isCoordinationNumber('19111171-1113', NOW), true);
    assert.equal(isCoordinationNumber('850769-9802', NOW), true);
    assert.equal(isCoordinationNumber('19111111-1116', NOW), false);
    assert.equal(isCoordinationNumber('19111171-1114', NOW), false); // invalid: not anything
  });
});

describe('normalisePersonnummer: rejected', () => {
  it('bad check digit', () => {
    assert.equal(message('19111111-1117'), 'personnummer check digit does not match');
    assert.equal(message('850709-9806'), 'personnummer check digit does not match');
    assert.equal(message('19111171-1114'), 'personnummer check digit does not match');
  });

  it('impossible dates', () => {
    for (const input of ['19111311-1116', '19110011-1116', '19110231-1112', '19110132-1110', '19110100-1116', '19110192-1110']) {
      assert.equal(message(input), 'personnummer has an impossible birth date', input);
    }
    assert.equal(message('17991231-1231'), 'personnummer has an impossible birth date'); // no 17xx century in the registers
  });

  it('a birth date in the future', () => {
    assert.equal(message('261231-1239'), 'personnummer has a birth date in the future'); // 2026-12-31, seen on 2026-06-15
    assert.equal(message('202612311239'), 'personnummer has a birth date in the future');
  });

  it('a 12-digit number whose + contradicts its year', () => {
    assert.match(message('19850709+9805'), /\+ separator/);
  });

  it('birth number 000', () => {
    assert.match(message('850709-0009'), /birth number/);
  });

  it('wrong shapes', () => {
    for (const input of ['', '   ', '850709_9805', '85070-99805', '850709--9805', '850709 9805', '85070998', '1985070998051', 'T50709-9805', '850709-T805', '８５０７０９-９８０５']) {
      assert.match(message(input), /must be YYMMDD-NNNN/, JSON.stringify(input));
    }
  });

  it('messages never contain the number or its parts', () => {
    for (const input of ['19111111-1117', '19111311-1116', '261231-1239', 'abc', '19850709+9805']) {
      const m = message(input);
      for (const part of ['1111', '1311', '261231', '1239', '8507', '9805', 'abc']) assert.ok(!m.includes(part), `${m} contains ${part}`);
    }
  });

  it('does not depend on the system clock when now is given', () => {
    // Far from the real date: only `now` can make 260101+1238 a 1926 birth and 260101-1238 a 2026 one.
    const then = new Date('1990-05-05T12:00:00Z');
    assert.equal(value('260101-1238', 'long', then), '192601011238');
    assert.equal(value('260101+1238', 'long', then), '182601011238');
    assert.equal(value('192601011238', 'short', then), '260101-1238');
  });
});
