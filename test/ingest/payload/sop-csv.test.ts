import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { groupSopOrders, parseSopCsv, sopPayload, stringifySopCsv } from '../../../src/ingest/payload/sop-csv.js';
import { addDays, previousStockholmDay, stockholmDayBounds } from '../../../src/domain/stockholm-date.js';
import { SOP_HEADER } from '../../../src/portals/sop.js';

const HEADER = SOP_HEADER.join(';');
/** A data row with the given Ordernummer and Artikelnummer; the other fields are fixed. */
function row(ordernr: string, article: string, overrides: Partial<Record<(typeof SOP_HEADER)[number], string>> = {}): string {
  const base: Record<string, string> = {
    Ordernummer: ordernr, Orderdatum: '2026-11-20', Organisationsnummer: '5560160680', 'Företagsnamn': 'Org AB',
    'Förnamn': 'Tessan', Efternamn: 'Testsson', Personnummer: '191111111116', Utdelningsadress: 'Testgatan 4',
    Postnummer: '12345', Postort: 'Teststad', Land: 'SE', 'E-post': '', Mobiltelefon: '', 'Anläggning': 'odenplan',
    Artikelnummer: article, Startdatum: '2026-12-01', 'Belopp inkl moms': '100,00', 'Förnya': 'Nej', ...overrides,
  };
  return SOP_HEADER.map((c) => base[c]).join(';');
}

describe('parseSopCsv', () => {
  test('BOM, CRLF, quoted ; and doubled quotes, a quoted line break: fields and 1-based start lines', () => {
    const multi = row('A-2', 'TOWEL', { 'Företagsnamn': '"Ek ""&"" Söner;\r\nAB"' });
    const text = `\uFEFF${HEADER}\r\n${row('A-1', 'GYM-12M')}\r\n${multi}\r\n${row('A-1', 'TOWEL')}\r\n`;
    const parsed = parseSopCsv(Buffer.from(text, 'utf8'));
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.header, [...SOP_HEADER]);
    assert.deepEqual(parsed.rows.map((r) => r.line), [2, 3, 5]);
    assert.equal(parsed.rows[1]!.fields['Företagsnamn'], 'Ek "&" Söner;\r\nAB');
    assert.equal(parsed.rows[0]!.fields.Ordernummer, 'A-1');
    assert.equal(parsed.rows.every((r) => r.problem === undefined), true);
  });

  test('LF, mixed line ends, empty lines and blank spreadsheet rows: lines still count from the file', () => {
    const text = `${HEADER}\n\n${row('B-1', 'X')}\r\n"${'B-2'}";"x\ny\nz"${';'.repeat(SOP_HEADER.length - 2)}\n\n\n${row('B-3', 'X')}\n${';'.repeat(SOP_HEADER.length - 1)}\n${row('B-4', 'X')}`;
    const parsed = parseSopCsv(Buffer.from(text));
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.rows.map((r) => [r.line, r.fields.Ordernummer]), [[3, 'B-1'], [4, 'B-2'], [9, 'B-3'], [11, 'B-4']]);
    assert.equal(parsed.rows[1]!.fields.Orderdatum, 'x\ny\nz');
  });

  test('a row with the wrong number of fields is kept with its problem and its Ordernummer; columns may come in any order', () => {
    const parsed = parseSopCsv(Buffer.from(`${HEADER}\n${row('C-1', 'X')}\nC-2;too;short\n${row('C-3', 'X')};\n`));
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.rows.map((r) => [r.fields.Ordernummer, r.problem]), [
      ['C-1', undefined],
      ['C-2', `raden har 3 fält, rubrikraden har ${SOP_HEADER.length}`],
      ['C-3', `raden har ${SOP_HEADER.length + 1} fält, rubrikraden har ${SOP_HEADER.length}`],
    ]);

    const reversed = [...SOP_HEADER].reverse();
    const fields = row('C-1', 'X').split(';').reverse().join(';');
    const anyOrder = parseSopCsv(Buffer.from(`${reversed.join(';')}\n${fields}\n`));
    assert.ok(anyOrder.ok);
    assert.equal(anyOrder.rows[0]!.fields.Ordernummer, 'C-1');
    assert.equal(anyOrder.rows[0]!.fields.Artikelnummer, 'X');
  });

  test('a shifted row when Ordernummer is not the first column → the whole file is rejected, quoting nothing of the row', () => {
    // Reversed columns and one field too many: the cell under Ordernummer is the first name.
    const reversed = [...SOP_HEADER].reverse();
    const shifted = row('D-2', 'X').split(';');
    shifted.splice(2, 0, 'extra');
    const text = `${reversed.join(';')}\n${row('D-1', 'X').split(';').reverse().join(';')}\n${shifted.reverse().join(';')}\n`;
    const parsed = parseSopCsv(Buffer.from(text));
    assert.deepEqual(parsed, {
      ok: false, kind: 'shape', line: 3,
      problem: `raden har ${SOP_HEADER.length + 1} fält, rubrikraden har ${SOP_HEADER.length}, och Ordernummer är inte första kolumnen: radens order går inte att avgöra, så ingen order i filen tas emot`,
    });
  });

  test('a shifted row that holds another order\'s Ordernummer (a leading ;) → the whole file is rejected, not that order delivered without the line', () => {
    const leading = `;${row('E-1', 'TOWEL')}`;
    const text = `${HEADER}\n${row('E-1', 'GYM-12M')}\n${leading}\n${row('E-2', 'X')}\n`;
    const tooMany = `raden har ${SOP_HEADER.length + 1} fält, rubrikraden har ${SOP_HEADER.length}`;
    assert.deepEqual(parseSopCsv(Buffer.from(text)), {
      ok: false, kind: 'shape', line: 3,
      problem: `${tooMany}, och raden innehåller en annan orders Ordernummer: radens order går inte att avgöra, så ingen order i filen tas emot`,
    });
    // Wherever the extra field stands before the number, and whatever the row then reads as.
    const inFront = `X-9;${row('E-1', 'TOWEL')}`;
    assert.equal((parseSopCsv(Buffer.from(`${HEADER}\n${row('E-1', 'GYM-12M')}\n${inFront}\n`)) as { line?: number }).line, 3);

    // A shifted row whose number is its own (the extra field after it), or whose order has no other
    // row: it is rejected with its order, and the other orders go ahead.
    const after = parseSopCsv(Buffer.from(`${HEADER}\n${row('E-1', 'GYM-12M')}\n${row('E-1', 'TOWEL')};\n${row('E-2', 'X')}\n`));
    assert.ok(after.ok);
    assert.deepEqual(after.rows.map((r) => [r.fields.Ordernummer, r.problem]), [['E-1', undefined], ['E-1', tooMany], ['E-2', undefined]]);
    const alone = parseSopCsv(Buffer.from(`${HEADER}\n;${row('E-3', 'X')}\n${row('E-2', 'X')}\n`));
    assert.ok(alone.ok);
    assert.deepEqual(alone.rows.map((r) => [r.fields.Ordernummer, r.problem]), [['', tooMany], ['E-2', undefined]]);
  });

  const EXPECTED = `expected columns ${SOP_HEADER.join(', ')}`;

  test('header without a column, or with one twice → the whole file is rejected, naming only our own columns', () => {
    const missing = SOP_HEADER.filter((c) => c !== 'Personnummer' && c !== 'Land').join(';');
    assert.deepEqual(parseSopCsv(Buffer.from(`${missing}\r\n1;2\r\n`)), {
      ok: false, kind: 'shape', line: 1, problem: `header row not recognised (line 1; ${EXPECTED}; missing Personnummer, Land)`,
    });
    const twice = parseSopCsv(Buffer.from(`${HEADER};Land\n`));
    assert.deepEqual(twice, { ok: false, kind: 'shape', line: 1, problem: `header row not recognised (line 1; ${EXPECTED}; Land appears twice (columns 11 and 19))` });
    const unknownTwice = parseSopCsv(Buffer.from(`${HEADER};Tessan;Tessan\n`));
    assert.deepEqual(unknownTwice, { ok: false, kind: 'shape', line: 1, problem: `header row not recognised (line 1; ${EXPECTED}; columns 19 and 20 have the same name)` });
  });

  test('a first row that is data, not a header: rejected without quoting a single cell of it', () => {
    const rows = [row('F-1', 'X'), row('F-1', 'X'), row('F-2', 'Y')];
    const noHeader = parseSopCsv(Buffer.from(`\r\n${rows.join('\r\n')}\r\n`));
    assert.equal(noHeader.ok, false);
    assert.ok(!noHeader.ok && noHeader.line === 2);
    for (const value of ['Tessan', 'Testsson', '191111111116', 'Testgatan', 'Teststad', 'F-1', '12345', 'odenplan']) {
      assert.ok(!JSON.stringify(noHeader).includes(value), `the problem quotes ${value}`);
    }
    assert.match(!noHeader.ok ? noHeader.problem : '', /^header row not recognised \(line 2; expected columns Ordernummer, .*; missing Ordernummer, .*Förnya\)$/);
  });

  test('CR-only line ends (Excel "CSV (Macintosh)") are read like CRLF, with the same line numbers', () => {
    const rows = [row('G-1', 'GYM-12M'), row('G-1', 'TOWEL', { 'Företagsnamn': '"Ek\rAB"' }), row('G-2', 'X')];
    const crOnly = parseSopCsv(Buffer.from(`${HEADER}\r${rows.join('\r')}\r\r`));
    const crlf = parseSopCsv(Buffer.from(`${HEADER}\r\n${rows.join('\r\n')}\r\n\r\n`));
    assert.ok(crOnly.ok && crlf.ok);
    assert.deepEqual(crOnly.rows.map((r) => [r.line, r.fields.Ordernummer, r.fields.Artikelnummer, r.problem]), [
      [2, 'G-1', 'GYM-12M', undefined], [3, 'G-1', 'TOWEL', undefined], [5, 'G-2', 'X', undefined],
    ]);
    assert.equal(crOnly.rows[1]!.fields['Företagsnamn'], 'Ek\rAB');
    assert.deepEqual(crlf.rows.map((r) => r.line), [2, 3, 5], 'the CR inside the quoted name is a line break in both');
    // Mixed: CR, LF and CRLF in one file each end one line.
    const mixed = parseSopCsv(Buffer.from(`${HEADER}\r${row('H-1', 'X')}\n${row('H-2', 'X')}\r\n${row('H-3', 'X')}`));
    assert.ok(mixed.ok);
    assert.deepEqual(mixed.rows.map((r) => [r.line, r.fields.Ordernummer]), [[2, 'H-1'], [3, 'H-2'], [4, 'H-3']]);
  });

  test('not CSV, not UTF-8, empty: rejected with the line where it goes wrong and no field values', () => {
    const bad = parseSopCsv(Buffer.from(`${HEADER}\r\n${row('D-1', 'X')}\r\n\r\nD-2;"unterminated\r\n`));
    assert.deepEqual(bad, { ok: false, kind: 'syntax', line: 4, problem: 'filen är inte giltig CSV (CSV_QUOTE_NOT_CLOSED)' });
    const quote = parseSopCsv(Buffer.from(`${HEADER}\r\n"a"b;c\r\n`));
    assert.equal(!quote.ok && quote.line, 2);
    assert.deepEqual(parseSopCsv(Buffer.from([0x4f, 0xf6, 0x0a])), { ok: false, kind: 'encoding', line: 1, problem: 'filen är inte UTF-8 (rad 1, byte 1)' });
    assert.deepEqual(parseSopCsv(Buffer.concat([Buffer.from(`${HEADER}\r\nE-1;Tes`), Buffer.from([0xff])])), { ok: false, kind: 'encoding', line: 2, problem: `filen är inte UTF-8 (rad 2, byte ${Buffer.byteLength(`${HEADER}\r\nE-1;Tes`)})` });
    assert.deepEqual(parseSopCsv(Buffer.alloc(0)), { ok: false, kind: 'shape', line: 1, problem: 'filen är tom: rubrikraden saknas' });
  });
});

describe('groupSopOrders', () => {
  test('rows with the same Ordernummer form one order wherever they stand; blank numbers stay alone', () => {
    const text = [HEADER, row('E-1', 'A'), row('E-2', 'B'), row(' E-1 ', 'C'), row('', 'D'), row('', 'E'), row('E-2', 'F')].join('\n');
    const parsed = parseSopCsv(Buffer.from(text));
    assert.ok(parsed.ok);
    const groups = groupSopOrders(parsed.rows);
    assert.deepEqual(groups.map((g) => [g.ordernr, g.rows.map((r) => r.line)]), [['E-1', [2, 4]], ['E-2', [3, 7]], ['', [5]], ['', [6]]]);
    const payload = sopPayload(groups[0]!);
    assert.deepEqual(payload.rows.map((r) => [r.line, r.fields.Artikelnummer]), [[2, 'A'], [4, 'C']]);
    assert.deepEqual(Object.keys(payload.rows[0]!.fields), [...SOP_HEADER]);
  });
});

describe('stringifySopCsv', () => {
  test('; separated, quotes only where needed (doubled inside), CRLF after every row, no BOM; reads back', () => {
    const rows = [['a', 'b;c', 'say "hi"', 'two\nlines', '', '2 510,00'], ['x', ' y ', 'cr\rhere', 'å', 'z', '']];
    const text = stringifySopCsv(rows);
    assert.equal(text, 'a;"b;c";"say ""hi""";"two\nlines";;2 510,00\r\nx; y ;"cr\rhere";å;z;\r\n');
    assert.deepEqual(parse(text, { delimiter: ';' }), rows);
    assert.deepEqual((parseSopCsv(Buffer.from(stringifySopCsv([[...SOP_HEADER]]))) as { ok: boolean }).ok, true);
  });
});

describe('stockholm days', () => {
  test('bounds are local midnights, 23 and 25 hours long on the DST days', () => {
    const b = (d: string) => { const r = stockholmDayBounds(d); return [r.start.toISOString(), r.end.toISOString()]; };
    assert.deepEqual(b('2026-11-20'), ['2026-11-19T23:00:00.000Z', '2026-11-20T23:00:00.000Z']);
    assert.deepEqual(b('2026-07-01'), ['2026-06-30T22:00:00.000Z', '2026-07-01T22:00:00.000Z']);
    assert.deepEqual(b('2026-03-29'), ['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
    assert.deepEqual(b('2026-10-25'), ['2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z']);
    assert.throws(() => stockholmDayBounds('2026-02-30'), RangeError);
  });

  test('yesterday is Stockholm yesterday, also just after local midnight', () => {
    assert.equal(previousStockholmDay(new Date('2026-11-20T05:00:00Z')), '2026-11-19');
    assert.equal(previousStockholmDay(new Date('2026-11-19T23:30:00Z')), '2026-11-19'); // 00:30 on the 20th in Stockholm
    assert.equal(previousStockholmDay(new Date('2026-03-01T00:00:00Z')), '2026-02-28');
    assert.equal(addDays('2028-02-28', 1), '2028-02-29');
    assert.equal(addDays('2027-01-01', -1), '2026-12-31');
  });
});
