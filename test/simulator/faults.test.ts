import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { request } from 'undici';
import { parseUntrustedXml, type XmlNode } from '../../src/xml/safe-xml.js';
import { isPartnerdError } from '../../src/errors.js';
import { FaultInjector, type BrpSimulator, type FaultAction } from '../../src/simulator/index.js';
import { newAgent, orderXml, postOrder, startTestSimulator, type PostOptions } from './fixtures.js';

const agent = newAgent();
let sim: BrpSimulator;

before(async () => {
  sim = await startTestSimulator();
});
after(async () => {
  await sim.close();
  await agent.close();
});
beforeEach(() => {
  sim.setFaults({});
  sim.reset();
});

const post = (xml: string, o: PostOptions = {}) => postOrder(sim, xml, { dispatcher: agent, ...o });
const code = (body: string) => ((parseUntrustedXml(body).errors as XmlNode).error as XmlNode).code;

/** The error a request fails with (undici's code), or undefined when it got a response. */
async function failureOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

describe('faults before commit create no order', () => {
  it('script 503 → 503 with a short HTML body', async () => {
    sim.setFaults({ script: ['503'] });
    const res = await post(orderXml());
    assert.equal(res.status, 503);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(res.body, /^<!DOCTYPE html><html>.*503 Service Unavailable.*<\/html>$/);
    assert.equal(sim.orders().length, 0);
    assert.equal((await post(orderXml())).status, 200, 'the script is used up');
  });

  it('script 500 → 500 with an <errors> body (1500)', async () => {
    sim.setFaults({ script: ['500'] });
    const res = await post(orderXml());
    assert.equal(res.status, 500);
    assert.equal(res.headers['content-type'], 'application/xml; charset=utf-8');
    assert.equal(code(res.body), '1500');
    assert.equal(sim.orders().length, 0);
  });

  it('script 429 → 429 with Retry-After (default 1, configurable)', async () => {
    sim.setFaults({ script: ['429'] });
    let res = await post(orderXml());
    assert.equal(res.status, 429);
    assert.equal(res.headers['retry-after'], '1');
    assert.equal(code(res.body), '1429');
    sim.setFaults({ script: ['429'], retryAfterSeconds: 7 });
    res = await post(orderXml());
    assert.equal(res.headers['retry-after'], '7');
    assert.equal(sim.orders().length, 0);
  });

  it('script 401 / 403 → 401 (1010) / 403 (1011) although the key is right', async () => {
    sim.setFaults({ script: ['401', '403'] });
    const a = await post(orderXml());
    const b = await post(orderXml());
    assert.deepEqual([a.status, code(a.body), b.status, code(b.body)], [401, '1010', 403, '1011']);
    assert.equal(sim.orders().length, 0);
  });

  it('refuse → 400 with the doc\'s example error (1111 Invalid settings configuration), no order', async () => {
    sim.setFaults({ script: ['refuse'] });
    const res = await post(orderXml());
    assert.equal(res.status, 400);
    const e = (parseUntrustedXml(res.body).errors as XmlNode).error as XmlNode;
    assert.deepEqual(e, {
      message: 'Invalid settings configuration',
      code: '1111',
      debuginfo: "Invalid value for setting 'organizationidflexpay', no organization found with id: null",
    });
    assert.equal(sim.orders().length, 0);
  });

  it('rates of 1.0: rate5xx, rate429, rate401', async () => {
    sim.setFaults({ rate5xx: 1, seed: 7 });
    for (let i = 0; i < 6; i++) assert.ok([500, 503].includes((await post(orderXml())).status));
    sim.setFaults({ rate429: 1, retryAfterSeconds: 3 });
    const r429 = await post(orderXml());
    assert.deepEqual([r429.status, r429.headers['retry-after']], [429, '3']);
    sim.setFaults({ rate401: 1 });
    assert.equal((await post(orderXml())).status, 401);
    assert.equal(sim.orders().length, 0);
  });
});

describe('faults after commit: the order exists', () => {
  it('timeout-after-commit: the client times out, the order IS recorded', async () => {
    sim.setFaults({ script: ['timeout-after-commit'], hangMs: 5000 });
    const started = Date.now();
    const failure = await failureOf(post(orderXml({ ordernr: 'T-1' }), { headersTimeout: 200, bodyTimeout: 200 }));
    assert.equal(failure, 'UND_ERR_HEADERS_TIMEOUT');
    assert.ok(Date.now() - started < 5000, "no long hang");
    const [rec] = sim.orders({ ordernr: 'T-1' });
    assert.equal(rec?.delivery, 'timeout-after-commit');
    assert.equal(rec?.brpOrderNumber, 1);
  });

  it('timeout-after-commit: the socket is destroyed after hangMs when the client waits longer', async () => {
    sim.setFaults({ rateTimeoutAfterCommit: 1, hangMs: 100 });
    const started = Date.now();
    const failure = await failureOf(post(orderXml({ ordernr: 'T-2' }), { headersTimeout: 5000 }));
    const waited = Date.now() - started;
    assert.equal(failure, 'UND_ERR_SOCKET');
    assert.ok(waited >= 90 && waited < 5000, `waited ${waited} ms`);
    assert.equal(sim.orders({ ordernr: 'T-2' }).length, 1);
  });

  it('close() does not wait for a hanging response (default hangMs of 60 s)', async () => {
    const own = await startTestSimulator({ faults: { script: ['timeout-after-commit'] } });
    const pending = failureOf(postOrder(own, orderXml(), { headersTimeout: 30_000 }));
    while (own.orders().length === 0) await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    await own.close();
    assert.equal(await pending, 'UND_ERR_SOCKET');
    assert.ok(Date.now() - started < 1000, 'closed at once');
  });

  it('answers a body over the limit with 413 (1008)', async () => {
    const own = await startTestSimulator({ bodyLimit: 2048 });
    try {
      const res = await postOrder(own, orderXml({ person: { note: 'x'.repeat(4096) } }), { dispatcher: agent });
      assert.equal(res.status, 413);
      assert.equal(code(res.body), '1008');
      assert.equal(own.orders().length, 0);
    } finally {
      await own.close();
    }
  });

  it('reset-after-commit: the client sees a socket error, the order IS recorded', async () => {
    for (const faults of [{ script: ['reset-after-commit' as const] }, { rateResetAfterCommit: 1 }]) {
      sim.setFaults(faults);
      const failure = await failureOf(post(orderXml({ ordernr: 'R-1' })));
      assert.ok(failure === 'UND_ERR_SOCKET' || failure === 'ECONNRESET', `got ${failure}`);
    }
    assert.deepEqual(
      sim.orders({ ordernr: 'R-1' }).map((o) => [o.brpOrderNumber, o.delivery]),
      [
        [1, 'reset-after-commit'],
        [2, 'reset-after-commit'],
      ],
    );
  });

  it('malformed-2xx: 200 with the doc\'s broken <confirmation>, the order IS recorded', async () => {
    for (const faults of [{ script: ['malformed-2xx' as const] }, { rateMalformed2xx: 1 }]) {
      sim.setFaults(faults);
      const res = await post(orderXml({ ordernr: 'M-1' }));
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'application/xml; charset=utf-8');
      assert.match(res.body, /<personnumber>111111-1116<personnumber><number>/);
      assert.match(res.body, /<street>Testgatan 4<\/streetaddress><postal>12345<\/postaladdress>/);
      assert.throws(() => parseUntrustedXml(res.body), (err: unknown) => isPartnerdError(err, 'PD_XML_MALFORMED'));
    }
    assert.deepEqual(
      sim.orders({ ordernr: 'M-1' }).map((o) => o.delivery),
      ['malformed-2xx', 'malformed-2xx'],
    );
  });

  it('an invalid request gets its normal error whatever after-commit fault was scripted (the entry is used up)', async () => {
    sim.setFaults({ script: ['timeout-after-commit'] });
    const res = await post(orderXml(), { apiKey: 'wrong' });
    assert.equal(res.status, 401);
    assert.equal((await post(orderXml())).status, 200);
    assert.deepEqual(sim.orders().map((o) => o.delivery), ['ok']);
  });
});

describe('scripts and rates', () => {
  it('runs a script in order, one entry per request, then normal behaviour', async () => {
    sim.setFaults({ script: ['503', '429', 'ok', '500'] });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(orderXml({ ordernr: `S-${i}` }))).status);
    assert.deepEqual(statuses, [503, 429, 200, 500, 200]);
    assert.deepEqual(sim.orders().map((o) => o.ordernr), ['S-2', 'S-4']);
  });

  it('scriptByOrdernr: "order X fails with 503 twice then succeeds", other orders unaffected', async () => {
    sim.setFaults({ scriptByOrdernr: { X: ['503', '503'] }, script: ['429'] });
    const seq: Array<[string, number]> = [];
    for (const nr of ['X', 'Y', 'X', 'Y', 'X']) seq.push([nr, (await post(orderXml({ ordernr: nr }))).status]);
    assert.deepEqual(seq, [
      ['X', 503],
      ['Y', 429],
      ['X', 503],
      ['Y', 200],
      ['X', 200],
    ]);
    assert.deepEqual(sim.faults().scriptByOrdernr, { X: [] });
    assert.deepEqual(sim.faults().script, []);
  });

  it('setFaults does not consume the caller\'s arrays', () => {
    const script: FaultAction[] = ['503'];
    sim.setFaults({ script });
    assert.deepEqual(script, ['503']);
  });

  it('a seed makes the rates reproducible', () => {
    const draw = (seed: number) => {
      const f = new FaultInjector({ rate5xx: 0.3, rate429: 0.2, rateResetAfterCommit: 0.1, seed });
      return Array.from({ length: 40 }, () => f.next().action);
    };
    const a = draw(42);
    assert.deepEqual(a, draw(42));
    assert.notDeepEqual(a, draw(43));
    assert.ok(a.includes('ok') && a.includes('429'));
  });

  it('adds latency (fixed + jitter)', async () => {
    sim.setFaults({ latencyMs: 120, latencyJitterMs: 30, seed: 1 });
    const started = Date.now();
    assert.equal((await post(orderXml())).status, 200);
    const took = Date.now() - started;
    assert.ok(took >= 115 && took < 5000, `took ${took} ms`);
  });
});

describe('admin routes', () => {
  it('PUT /_sim/faults replaces the faults (validated), GET shows them', async () => {
    let res = await request(`${sim.url}/_sim/faults`, {
      method: 'PUT',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ script: ['503'] }),
    });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(await res.body.json(), { script: ['503'] });
    assert.equal((await post(orderXml())).status, 503);
    res = await request(`${sim.url}/_sim/faults`, {
      method: 'PUT',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rate5xx: 2 }),
    });
    assert.equal(res.statusCode, 400);
    await res.body.dump();
    res = await request(`${sim.url}/_sim/faults`, { dispatcher: agent });
    assert.deepEqual(await res.body.json(), { script: [] });
  });

  it('GET /_sim/orders filters by instance, origin and ordernr; DELETE resets', async () => {
    await post(orderXml({ ordernr: 'F-1' }));
    await post(orderXml({ ordernr: 'F-2', origin: 'epassi' }), { portal: 'epassi' });
    await post(orderXml({ ordernr: 'F-1', origin: 'wellnet' }), { portal: 'wellnet', instance: 'other', apiKey: 'test-key-other' });
    const get = async (q: string) => {
      const res = await request(`${sim.url}/_sim/orders${q}`, { dispatcher: agent });
      assert.equal(res.statusCode, 200);
      return ((await res.body.json()) as Array<{ instance: string; origin: string; ordernr: string }>).map((o) => `${o.instance}/${o.origin}/${o.ordernr}`);
    };
    assert.deepEqual(await get(''), ['odenplan/benify/F-1', 'odenplan/epassi/F-2', 'other/wellnet/F-1']);
    assert.deepEqual(await get('?instance=odenplan'), ['odenplan/benify/F-1', 'odenplan/epassi/F-2']);
    assert.deepEqual(await get('?origin=epassi'), ['odenplan/epassi/F-2']);
    assert.deepEqual(await get('?ordernr=F-1'), ['odenplan/benify/F-1', 'other/wellnet/F-1']);
    assert.deepEqual(await get('?ordernr=F-1&instance=other'), ['other/wellnet/F-1']);
    assert.deepEqual(await get('?ordernr=nothing'), []);

    const full = await request(`${sim.url}/_sim/orders?ordernr=F-2`, { dispatcher: agent });
    assert.deepEqual(await full.body.json(), [
      {
        instance: 'odenplan',
        origin: 'epassi',
        ordernr: 'F-2',
        brpOrderNumber: 2,
        invoiceNumber: 2,
        ocr: '232',
        sum: 251000,
        sumExVat: 236649,
        vatSums: [{ rate: 25, amount: 200 }, { rate: 6, amount: 14151 }],
        invoiceDate: '2026-03-30',
        dueDate: '2026-04-29',
        businessUnit: '1',
        createdAt: '2026-03-30T08:05:00.000Z',
        receivedAt: '2026-03-30T08:05:00.000Z',
        delivery: 'ok',
      },
    ]);

    const stats = await request(`${sim.url}/_sim/stats`, { dispatcher: agent });
    assert.deepEqual(await stats.body.json(), { requests: 3, ordersCreated: 3, byOutcome: { ok: 3 } });

    const del = await request(`${sim.url}/_sim/orders`, { method: 'DELETE', dispatcher: agent });
    assert.equal(del.statusCode, 204);
    await del.body.dump();
    assert.deepEqual(await get(''), []);
    assert.deepEqual(sim.stats(), { requests: 0, ordersCreated: 0, byOutcome: {} });
    await post(orderXml({ ordernr: 'F-3' }));
    assert.equal(sim.orders()[0]?.brpOrderNumber, 1, 'numbering restarts after a reset');
  });

  it('serves the XSD at {BaseURL}/xsd/webservice/createpartnerorder.xsd', async () => {
    const res = await request(`${sim.baseUrl('odenplan')}xsd/webservice/createpartnerorder.xsd`, { dispatcher: agent });
    assert.equal(res.statusCode, 200);
    assert.match(await res.body.text(), /<xs:schema/);
  });
});
