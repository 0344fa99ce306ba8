import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile, readdir } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { benifySignature } from '../../src/ingest/http/benify-signature.js';
import { startPipeline } from '../../support/pipeline.js';

/**
 * The daemon starts the ingest paths its config turns on: here the push server (Benify) and the
 * S&P inbox on a one-second schedule, with the real workers and the BRP simulator behind them.
 */
const SECRET = 'daemon-wiring-benify-secret';
const ROUTING = { venues: { odenplan: { tenant: 't1', businessUnit: 1 } }, articles: { 'GYM-12M': '1001', TOWEL: '2001' } };

test('the daemon runs the push server and the S&P inbox from config; orders reach confirmed', { timeout: 60_000 }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'partnerd-sop-'));
  const p = await startPipeline({
    ingest: true,
    extra: {
      portals: {
        benify: { ...ROUTING, secret: SECRET },
        sop: { ...ROUTING, root, schedule: '* * * * * *' },
      },
    },
  });
  t.after(() => p.close());
  assert.ok(p.daemon.ingestUrl, 'push server started');

  const body = JSON.stringify({
    orderId: 'BNF-WIRE-1', placedAt: '2026-11-20T10:31:00+01:00',
    employer: { orgNumber: '556016-0680', name: 'Test Org AB' },
    employee: { firstName: 'Tessan', lastName: 'Testsson', personalIdentityNumber: '19111111-1116' },
    supplier: { venueId: 'odenplan' },
    lines: [{ articleId: 'GYM-12M', startDate: '2026-12-01', priceInclVat: { amount: '2500.00', currency: 'SEK' } }],
  });
  const ts = String(Math.floor(Date.now() / 1000));
  const res = await request(`${p.daemon.ingestUrl}/portals/benify/orders`, {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', 'x-benify-timestamp': ts, 'x-benify-signature': benifySignature(SECRET, ts, body) },
  });
  assert.equal(res.statusCode, 202);
  assert.deepEqual(await res.body.json(), { status: 'accepted', key: 't1:benify:BNF-WIRE-1' });
  await p.waitForState('t1:benify:BNF-WIRE-1', 'confirmed');

  const header = 'Ordernummer;Orderdatum;Organisationsnummer;Företagsnamn;Förnamn;Efternamn;Personnummer;Utdelningsadress;Postnummer;Postort;Land;E-post;Mobiltelefon;Anläggning;Artikelnummer;Startdatum;Belopp inkl moms;Förnya';
  const row = 'SP-WIRE-1;2026-11-20;556016-0680;Test Org AB;Tessan;Testsson;19111111-1116;Testgatan 4;123 45;Teststad;SE;;;odenplan;TOWEL;2026-12-01;10,00 kr;Nej';
  await mkdir(join(root, 'inbox'), { recursive: true });
  await writeFile(join(root, 'inbox', 'orders.csv'), `${header}\r\n${row}\r\n`);
  await p.waitForState('t1:sop:SP-WIRE-1', 'confirmed', 20_000);
  for (let i = 0; i < 40 && (await readdir(join(root, 'inbox'))).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(await readdir(join(root, 'inbox')), [], 'the file was archived');
});
