import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isIsoDate, stockholmDateOf, stockholmTimestamp } from '../../src/domain/stockholm-date.js';

describe('stockholmDateOf', () => {
  it('late UTC evening is the next day in Stockholm', () => {
    assert.equal(stockholmDateOf('2026-11-19T23:30:00Z'), '2026-11-20');
    assert.equal(stockholmDateOf('2026-11-19T22:59:59Z'), '2026-11-19');
    assert.equal(stockholmDateOf('2026-11-19T23:00:00Z'), '2026-11-20');
    assert.equal(stockholmDateOf(new Date('2026-11-19T23:30:00Z')), '2026-11-20');
  });

  it('uses +2 in summer and +1 in winter', () => {
    assert.equal(stockholmDateOf('2026-06-30T21:59:59Z'), '2026-06-30');
    assert.equal(stockholmDateOf('2026-06-30T22:00:00Z'), '2026-07-01');
    assert.equal(stockholmDateOf('2026-01-31T22:30:00Z'), '2026-01-31');
    assert.equal(stockholmDateOf('2026-01-31T23:00:00Z'), '2026-02-01');
  });

  it('around the change to summer time (2026-03-29, 01:00 UTC)', () => {
    assert.equal(stockholmDateOf('2026-03-28T22:59:59Z'), '2026-03-28');
    assert.equal(stockholmDateOf('2026-03-28T23:30:00Z'), '2026-03-29');
    assert.equal(stockholmDateOf('2026-03-29T00:30:00Z'), '2026-03-29');
    assert.equal(stockholmDateOf('2026-03-29T21:59:59Z'), '2026-03-29');
    assert.equal(stockholmDateOf('2026-03-29T22:30:00Z'), '2026-03-30'); // already CEST: 00:30
  });

  it('around the change to winter time (2026-10-25, 01:00 UTC)', () => {
    assert.equal(stockholmDateOf('2026-10-24T21:59:59Z'), '2026-10-24');
    assert.equal(stockholmDateOf('2026-10-24T22:30:00Z'), '2026-10-25'); // still CEST: 00:30
    assert.equal(stockholmDateOf('2026-10-25T00:30:00Z'), '2026-10-25');
    assert.equal(stockholmDateOf('2026-10-25T22:59:59Z'), '2026-10-25'); // CET again: 23:59
    assert.equal(stockholmDateOf('2026-10-25T23:30:00Z'), '2026-10-26');
  });

  it('New Year', () => {
    assert.equal(stockholmDateOf('2026-12-31T22:59:59Z'), '2026-12-31');
    assert.equal(stockholmDateOf('2026-12-31T23:00:00Z'), '2027-01-01');
  });

  it('honours explicit offsets', () => {
    assert.equal(stockholmDateOf('2026-11-20T00:30:00+01:00'), '2026-11-20');
    assert.equal(stockholmDateOf('2026-11-19T18:30:00-05:00'), '2026-11-20');
    assert.equal(stockholmDateOf('2026-11-20T01:00:00+0200'), '2026-11-20');
    // The same calendar date in the input's zone is not enough: 04:29+05:30 is 23:59 in Stockholm the day before.
    assert.equal(stockholmDateOf('2026-11-20T04:29:00+05:30'), '2026-11-19');
    assert.equal(stockholmDateOf('2026-11-20T05:29:00+05:30'), '2026-11-20');
  });

  it('accepts RFC 3339 variants: fractions, no seconds, lower-case, space', () => {
    assert.equal(stockholmDateOf('2026-11-19T23:30:00.123456Z'), '2026-11-20');
    assert.equal(stockholmDateOf('2026-11-19T23:30Z'), '2026-11-20');
    assert.equal(stockholmDateOf('2026-11-19t23:30:00z'), '2026-11-20');
    assert.equal(stockholmDateOf('2026-11-19 23:30:00Z'), '2026-11-20');
  });

  it('throws on strings without an offset, impossible values and garbage', () => {
    for (const text of [
      '2026-11-19T23:30:00', // local to which zone? refused
      '2026-11-19',
      '2026-02-30T10:00:00Z',
      '2026-11-19T24:00:00Z',
      '2026-11-19T23:60:00Z',
      '2026-11-19T23:30:60Z',
      '2026-11-19T23:30:00+25:00',
      '2026-11-19T23:30:00 Z',
      'Thu, 19 Nov 2026 23:30:00 GMT',
      'not a date',
      '',
    ]) {
      assert.throws(() => stockholmDateOf(text), RangeError, JSON.stringify(text));
    }
    assert.throws(() => stockholmDateOf(new Date(Number.NaN)), RangeError);
    assert.throws(() => stockholmDateOf(new Date('0999-06-01T00:00:00Z')), RangeError);
    assert.throws(() => stockholmDateOf(new Date('+010000-06-01T00:00:00Z')), RangeError);
  });
});

describe('stockholmTimestamp (BRP "Tidpunkt", yyyy-MM-dd HH:mm)', () => {
  it('winter and summer', () => {
    assert.equal(stockholmTimestamp('2026-11-19T23:30:00Z'), '2026-11-20 00:30');
    assert.equal(stockholmTimestamp('2026-07-01T10:05:00Z'), '2026-07-01 12:05');
  });

  it('midnight is 00, never 24', () => {
    assert.equal(stockholmTimestamp('2026-11-19T23:00:00Z'), '2026-11-20 00:00');
  });

  it('the skipped hour on 2026-03-29 (02:00 → 03:00)', () => {
    assert.equal(stockholmTimestamp('2026-03-29T00:30:00Z'), '2026-03-29 01:30');
    assert.equal(stockholmTimestamp('2026-03-29T00:59:00Z'), '2026-03-29 01:59');
    assert.equal(stockholmTimestamp('2026-03-29T01:00:00Z'), '2026-03-29 03:00');
  });

  it('the repeated hour on 2026-10-25 (03:00 → 02:00)', () => {
    assert.equal(stockholmTimestamp('2026-10-25T00:30:00Z'), '2026-10-25 02:30'); // CEST
    assert.equal(stockholmTimestamp('2026-10-25T01:30:00Z'), '2026-10-25 02:30'); // CET, same wall time
    assert.equal(stockholmTimestamp('2026-10-25T02:00:00Z'), '2026-10-25 03:00');
  });

  it('drops seconds, does not round', () => {
    assert.equal(stockholmTimestamp('2026-11-19T10:15:59.999Z'), '2026-11-19 11:15');
  });

  it('throws on offset-less strings', () => {
    assert.throws(() => stockholmTimestamp('2026-11-19T23:30:00'), RangeError);
  });

  it('asked again and again, in any order (the last minute is remembered): the same as a fresh formatter', () => {
    const fresh = new Intl.DateTimeFormat('sv-SE', {
      timeZone: 'Europe/Stockholm', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    });
    const expected = (ms: number) => fresh.format(new Date(ms)).replace(/\s+/, ' ');
    // Both changes of 2026, seconds apart around each, back and forth, and a minute asked twice in a row.
    const instants: number[] = [];
    for (const change of [Date.UTC(2026, 2, 29, 1, 0, 0), Date.UTC(2026, 9, 25, 1, 0, 0)]) {
      for (const dt of [-61_000, -1, 0, 1, 59_999, 60_000, -1, 59_999, -60_000, 0, 0, 3_600_000 - 1, 3_600_000]) instants.push(change + dt);
    }
    for (const ms of instants) assert.equal(stockholmTimestamp(new Date(ms)), expected(ms), new Date(ms).toISOString());
  });
});

describe('isIsoDate', () => {
  it('real calendar dates only', () => {
    assert.equal(isIsoDate('2026-11-20'), true);
    assert.equal(isIsoDate('2026-12-31'), true);
    assert.equal(isIsoDate('2028-02-29'), true);
    assert.equal(isIsoDate('2000-02-29'), true);
    assert.equal(isIsoDate('2026-02-29'), false);
    assert.equal(isIsoDate('1900-02-29'), false);
    assert.equal(isIsoDate('2026-04-31'), false);
    assert.equal(isIsoDate('2026-13-01'), false);
    assert.equal(isIsoDate('2026-00-10'), false);
    assert.equal(isIsoDate('2026-01-00'), false);
  });

  // Found by the fuzz suite (xsd-valid-documents): BRP's xs:date has no year 0000, so an order
  // starting then passed validation and failed the XSD, reported at `xml` instead of its field.
  it('no year 0000; years 0001 to 9999 are calendar years', () => {
    assert.equal(isIsoDate('0000-01-01'), false);
    assert.equal(isIsoDate('0000-02-29'), false);
    assert.equal(isIsoDate('0001-01-01'), true);
    assert.equal(isIsoDate('9999-12-31'), true);
  });

  it('the exact YYYY-MM-DD shape only', () => {
    for (const text of ['2026-1-01', '26-01-01', ' 2026-01-01', '2026-01-01 ', '2026/01/01', '20260101', '2026-01-01T00:00:00Z', '', '２０２６-01-01']) {
      assert.equal(isIsoDate(text), false, JSON.stringify(text));
    }
  });
});
