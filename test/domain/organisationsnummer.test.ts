import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSoleTraderNumber, normaliseOrganisationsnummer } from '../../src/domain/organisationsnummer.js';

// Valid under the library's Luhn check: 556016-0680, 556123-4567 (yes, it is valid),
// 556677-8899, 802471-2344, 212000-0142, 202100-5489 (the library's README example).
const NOW = new Date('2026-06-15T10:00:00Z');

function ok(input: string) {
  const r = normaliseOrganisationsnummer(input, NOW);
  assert.ok(r.ok, `expected ${input} to be valid, got: ${r.ok ? '' : r.message}`);
  return r;
}
function message(input: string): string {
  const r = normaliseOrganisationsnummer(input, NOW);
  assert.equal(r.ok, false, `expected ${input} to be rejected`);
  return r.ok ? '' : r.message;
}

describe('normaliseOrganisationsnummer', () => {
  it('with and without dash, with the 16 prefix, surrounding whitespace', () => {
    for (const input of ['556016-0680', '5560160680', '165560160680', '16556016-0680', ' 556016-0680 ']) {
      assert.deepEqual(ok(input), { ok: true, value: '556016-0680', soleTrader: false }, input);
    }
  });

  it('the portal examples are valid', () => {
    assert.equal(ok('5561234567').value, '556123-4567');
    assert.equal(ok('5560160680').value, '556016-0680');
  });

  it('other organisation forms', () => {
    assert.equal(ok('8024712344').value, '802471-2344'); // ideell förening
    assert.equal(ok('212000-0142').value, '212000-0142'); // state/municipality
    assert.equal(ok('162021005489').value, '202100-5489');
    assert.equal(ok('5566778899').value, '556677-8899');
  });

  it('bad check digit', () => {
    assert.equal(message('556016-0681'), 'organisation number check digit does not match');
    assert.equal(message('5561234568'), 'organisation number check digit does not match');
    assert.equal(message('165560160681'), 'organisation number check digit does not match');
  });

  it('not an organisation number at all', () => {
    assert.match(message('056016-0680'), /not a Swedish organisation number/);
    assert.match(message('556016+0680'), /- \(not \+\)/);
    assert.match(message(''), /must be NNNNNN-NNNN/);
    assert.match(message('556016-06800'), /must be NNNNNN-NNNN/);
    assert.match(message('55601-60680'), /must be NNNNNN-NNNN/);
    assert.match(message('SE556016068001'), /must be NNNNNN-NNNN/);
    assert.match(message('556016 0680'), /must be NNNNNN-NNNN/);
  });

  it('sole traders: a valid personnummer is accepted, as NNNNNN-NNNN with -, and flagged', () => {
    assert.deepEqual(ok('198507099805'), { ok: true, value: '850709-9805', soleTrader: true });
    assert.deepEqual(ok('850709-9805'), { ok: true, value: '850709-9805', soleTrader: true });
    assert.deepEqual(ok('19850709-9805'), { ok: true, value: '850709-9805', soleTrader: true });
    // 100+ still gets `-`: BRP's organisation number is \d{6}-\d{4}.
    assert.deepEqual(ok('19111111-1116'), { ok: true, value: '111111-1116', soleTrader: true });
    assert.deepEqual(ok('111111+1116'), { ok: true, value: '111111-1116', soleTrader: true });
  });

  it('a personnummer-shaped number that is not valid is rejected as neither', () => {
    assert.match(message('850709-9806'), /neither a valid organisation number nor a valid personnummer: personnummer check digit/);
    assert.match(message('198513099805'), /neither .* impossible birth date/);
    assert.match(message('175560160680'), /neither/); // 12 digits, century not 16
  });

  it('messages never contain the number', () => {
    for (const input of ['556016-0681', '850709-9806', '056016-0680', '175560160680']) {
      const m = message(input);
      for (const part of ['5560', '0681', '8507', '9806', '0680']) assert.ok(!m.includes(part), `${m} contains ${part}`);
    }
  });
});

describe('isSoleTraderNumber', () => {
  it('tells a normalised personnummer from an organisation number', () => {
    assert.equal(isSoleTraderNumber('850709-9805'), true);
    assert.equal(isSoleTraderNumber('111111-1116'), true);
    assert.equal(isSoleTraderNumber('556016-0680'), false);
    assert.equal(isSoleTraderNumber('212000-0142'), false);
  });
});
