import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyOutcome } from '../../src/brp/classify-outcome.js';
import { failurePhase, parseRetryAfter } from '../../src/brp/brp-exchange.js';

const CONFIRMATION = `<?xml version="1.0" encoding="UTF-8"?>
<confirmation><order><number>137</number><created>2013-11-20 10:31</created>
<orderedby><personnumber>111111-1116</personnumber><number>10004</number></orderedby>
<businessunit><name>Anläggning 2</name></businessunit><organization><number>123425-2334</number><name>Test Org.</name></organization>
<products><product><number>64575F</number><type>Klippkort</type><name>100 Entre klipp</name></product></products>
<sumexvat>19660</sumexvat><vatsums><vatsum><rate>25</rate><amount>4680</amount></vatsum><vatsum><rate>6</rate><amount>60</amount></vatsum></vatsums>
<sum>24400</sum><lefttopay>0</lefttopay><mark>benify</mark></order>
<invoice><number>14</number><ocrnumber>1446</ocrnumber><totalamount>24400</totalamount><rest>24400</rest>
<invoicedate>2013-11-20</invoicedate><duedate>2013-11-30</duedate><mark>Avser beställning 1234 hos Benify</mark></invoice></confirmation>`;

const ERRORS = '<errors><error><message>Unknown product</message><code>1003</code><debuginfo>productnumber=9</debuginfo></error></errors>';

const response = (status: number, body = '', retryAfterMs?: number) => ({ kind: 'response' as const, status, body, retryAfterMs });

describe('classifyOutcome', () => {
  test('2xx with a confirmation → confirmed', () => {
    const o = classifyOutcome(response(200, CONFIRMATION));
    assert.equal(o.class, 'confirmed');
    assert.equal(o.class === 'confirmed' && o.confirmation.invoice.ocrNumber, '1446');
  });

  test('2xx that cannot be parsed → confirmed_unparsed, raw body kept', () => {
    const raw = CONFIRMATION.replace('</personnumber>', '<personnumber>');
    const o = classifyOutcome(response(200, raw));
    assert.equal(o.class, 'confirmed_unparsed');
    assert.equal(o.class === 'confirmed_unparsed' && o.rawBody, raw);
  });

  test('2xx whose body never arrived → confirmed_unparsed (BRP decided already)', () => {
    const o = classifyOutcome({ kind: 'response', status: 200, body: '', bodyError: 'UND_ERR_BODY_TIMEOUT' });
    assert.equal(o.class, 'confirmed_unparsed');
  });

  test('2xx carrying <errors> is still never resent', () => {
    assert.equal(classifyOutcome(response(200, ERRORS)).class, 'confirmed_unparsed');
  });

  test('4xx with <errors> → rejected with code and message', () => {
    const o = classifyOutcome(response(400, ERRORS));
    assert.deepEqual(o, { class: 'rejected', status: 400, errors: [{ message: 'Unknown product', code: 1003, debugInfo: 'productnumber=9' }] });
  });

  test('4xx without <errors> (a proxy, a wrong URL) → transient, not rejected', () => {
    assert.equal(classifyOutcome(response(404, '<html>Not found</html>')).class, 'transient');
  });

  for (const status of [401, 403]) {
    test(`${status} → auth_failed`, () => assert.equal(classifyOutcome(response(status, ERRORS)).class, 'auth_failed'));
  }

  test('429 → throttled with the Retry-After delay', () => {
    assert.deepEqual(classifyOutcome(response(429, '', 2000)), { class: 'throttled', status: 429, retryAfterMs: 2000 });
  });
  test('503 with Retry-After → throttled; without → transient', () => {
    assert.equal(classifyOutcome(response(503, '', 1000)).class, 'throttled');
    assert.equal(classifyOutcome(response(503, '')).class, 'transient');
  });
  for (const status of [500, 502, 504, 408]) {
    test(`${status} → transient`, () => assert.equal(classifyOutcome(response(status, 'x')).class, 'transient'));
  }

  for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']) {
    test(`${code} (nothing sent) → transient`, () => {
      assert.equal(classifyOutcome({ kind: 'failure', phase: failurePhase(code), code, message: '' }).class, 'transient');
    });
  }
  for (const code of ['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'SOMETHING_NEW']) {
    test(`${code} (after sending, or unknown) → in_doubt`, () => {
      assert.equal(classifyOutcome({ kind: 'failure', phase: failurePhase(code), code, message: '' }).class, 'in_doubt');
    });
  }
});

describe('parseRetryAfter', () => {
  test('delta seconds', () => assert.equal(parseRetryAfter('3'), 3000));
  test('HTTP date', () => assert.equal(parseRetryAfter('Wed, 25 Nov 2026 10:00:05 GMT', Date.parse('2026-11-25T10:00:00Z')), 5000));
  test('absent or unreadable', () => {
    assert.equal(parseRetryAfter(undefined), undefined);
    assert.equal(parseRetryAfter('soon'), undefined);
  });
});
