/**
 * `npm run demo`: the BRP simulator and the daemon, a handful of sample orders flowing to
 * confirmed, rejected, dead, unroutable and in-doubt, each printed as one readable line.
 * `npm run demo -- --keep`: then leaves the daemon, the simulators and the web console running
 * with those orders (an in-doubt, a dead, a rejected and an unroutable one wait for an operator),
 * prints the console's URL, a login token and a CLI config, and cleans up on Ctrl-C.
 * Stores: the local Redis if it answers (keys under a per-run prefix), else a private
 * redis-server; a private PostgreSQL cluster for the ledger unless DATABASE_URL is given, in
 * which case a per-run database is created on that server and dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { Redis } from 'ioredis';
import pg from 'pg';
import pino from 'pino';
import { stringify } from 'yaml';
import { loadConfig } from '../src/config/load-config.js';
import { createDaemon } from '../src/daemon/daemon.js';
import { createServices } from '../src/daemon/services.js';
import { formatOreSwedish } from '../src/domain/money.js';
import type { LedgerRecord } from '../src/ledger/ledger.js';
import { createLogger } from '../src/observability/logger.js';
import { stockholmDateOf } from '../src/domain/stockholm-date.js';
import { benifySignature } from '../src/ingest/http/benify-signature.js';
import { createSopIngest } from '../src/ingest/file-drop/sop-ingest.js';
import { loadSimulatorConfig, startBrpSimulator } from '../src/simulator/index.js';
import { startEpassiSimulator, startWellnetSimulator, type EpassiSimPurchase, type WellnetSimOrder } from '../src/simulator/portals/index.js';
import { startPostgres } from '../support/private-postgres.js';
import { startRedis, type PrivateRedis } from '../support/private-redis.js';

const DEMO_PREFIX = 'partnerd-demo';
/** The contract examples of the five portals, as the portals send or serve them. */
const DATA = join(import.meta.dirname, '../examples/portals');

async function redisAnswers(url: string): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  r.on('error', () => undefined);
  try {
    await r.connect();
    await r.ping();
    return true;
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/** A ledger database of its own for this run: a private cluster, or a fresh database on DATABASE_URL's server. */
async function demoDatabase(): Promise<{ url: string; drop(): Promise<void>; where: string }> {
  const given = process.env.DATABASE_URL;
  if (!given) {
    const cluster = await startPostgres();
    return { url: cluster.url, drop: () => cluster.destroy(), where: `a private PostgreSQL at 127.0.0.1:${cluster.port}` };
  }
  const name = `partnerd_demo_${Date.now()}`;
  const admin = new pg.Client({ connectionString: given });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(given);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    where: `database ${name} on ${url.host}`,
    async drop() {
      const c = new pg.Client({ connectionString: given });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

const SAMPLES: Array<{ ordernr: string; portal: string; what: string; items: unknown[]; fault?: string[] }> = [
  { ordernr: 'DEMO-1001', portal: 'benify', what: 'gym card + towel', items: [{ productNumber: '1001', startDay: '2026-12-01', priceIncVat: '2500.00' }, { productNumber: '2001', startDay: '2026-12-01', priceIncVat: '10.00' }] },
  { ordernr: 'DEMO-1002', portal: 'wellnet', what: 'clip card', items: [{ productNumber: '64575F', startDay: '2026-12-01', priceIncVatOre: 95050 }] },
  { ordernr: 'DEMO-1003', portal: 'sop', what: 'BRP answers 503 twice first', items: [{ productNumber: '1002', startDay: '2026-12-01', priceIncVat: '950,50' }], fault: ['503', '503'] },
  { ordernr: 'DEMO-1004', portal: 'actiway', what: 'unknown product', items: [{ productNumber: '9999', startDay: '2026-12-01', priceIncVatOre: 10000 }] },
  { ordernr: 'DEMO-1005', portal: 'epassi', what: 'BRP creates it, the answer never comes', items: [{ productNumber: '1001', startDay: '2026-12-01', priceIncVatOre: 250000 }], fault: ['timeout-after-commit'] },
  { ordernr: 'DEMO-1006', portal: 'benify', what: 'protein bar (12 % VAT)', items: [{ productNumber: '3001', startDay: '2026-12-01', priceIncVat: '29.00' }] },
  { ordernr: 'DEMO-1007', portal: 'actiway', what: 'BRP answers 503 until every attempt is used', items: [{ productNumber: '1002', startDay: '2026-12-01', priceIncVatOre: 95050 }], fault: ['503', '503', '503', '503'] },
];

/** The demo's tenant gives up after this many attempts, so its dead order is dead within seconds. */
const DEMO_ATTEMPTS = 4;

function orderInput(s: (typeof SAMPLES)[number]) {
  return {
    portal: s.portal, ordernr: s.ordernr, tenant: 'sandbox', businessUnit: 1,
    organization: { number: '556016-0680', name: 'Demo Företag & Söner AB' },
    person: { firstName: 'Åsa', lastName: 'Öberg', personnummer: '201212121212', email: 'asa@example.se', phones: { mobile: '+46701234567' } },
    items: s.items,
  };
}

function line(rec: LedgerRecord, what: string): string {
  const id = `${rec.portal.padEnd(8)}${rec.ordernr.padEnd(17)}`;
  switch (rec.state) {
    case 'confirmed':
      return `✔ confirmed  ${id} BRP order ${rec.brpOrderNumber}, invoice ${rec.invoiceNumber}, OCR ${rec.ocr}, ${formatOreSwedish(rec.sumOre ?? 0)} kr, due ${rec.dueDate} (${rec.attempts} attempt${rec.attempts > 1 ? 's' : ''}; ${what})`;
    case 'rejected': {
      const e = rec.brpError?.errors[0];
      return `✘ rejected   ${id} BRP error ${e?.code ?? '?'}: ${e?.message ?? ''} (${what})`;
    }
    case 'in_doubt':
      return `? in-doubt   ${id} no answer after sending (${rec.lastError}); held for an operator (${what})`;
    case 'dead':
      return `✝ dead       ${id} ${rec.attempts} attempts, last ${rec.lastError}; waits for \`requeue\` (${what})`;
    case 'unroutable':
      return `⇢ unroutable ${id} ${rec.unroutableReason} (${what})`;
    default:
      return `… ${rec.state.padEnd(10)} ${id} (${what})`;
  }
}

/** The demo runs against simulators only: sandbox credentials, never used for a real portal. */
const DEMO_ENV = {
  BRP_SANDBOX_API_KEY: 'sandbox-key', // the simulator's (config/simulator.yaml)
  BENIFY_ENABLED: 'true', ACTIWAY_ENABLED: 'true', WELLNET_ENABLED: 'true', EPASSI_ENABLED: 'true', SOP_ENABLED: 'true',
  // Replaced below by the portal simulators' addresses.
  WELLNET_URL: 'http://127.0.0.1:8091/', EPASSI_URL: 'http://127.0.0.1:8092/',
  BENIFY_SECRET: 'demo-benify-secret-not-for-production',
  ACTIWAY_USERNAME: 'actiway',
  ACTIWAY_PASSWORD: 's3cret', // the contract's example header: Basic YWN0aXdheTpzM2NyZXQ=
  WELLNET_TOKEN: 'demo-wellnet-token',
  EPASSI_CLIENT_SECRET: 'demo-epassi-secret',
  PARTNERD_ERASURE_KEY: 'demo-erasure-key-not-for-production-0123456789',
};

async function main(): Promise<void> {
  const keep = process.argv.includes('--keep');
  const base = loadConfig(process.env.PARTNERD_CONFIG ?? 'config/partnerd.yaml', { ...DEMO_ENV, ...process.env });
  let redisUrl = base.redis.url;
  let ownedRedis: PrivateRedis | undefined;
  if (!(await redisAnswers(redisUrl))) {
    try {
      ownedRedis = await startRedis();
    } catch {
      console.error(`No Redis answers at ${redisUrl} and redis-server cannot be started: install it (apt-get install redis-server) or set REDIS_URL.`);
      process.exit(1);
    }
    redisUrl = ownedRedis.url;
    console.log(`(no Redis at ${base.redis.url}: started a private redis-server at ${redisUrl})`);
  }
  const database = await demoDatabase();

  const logger = createLogger({ level: 'error' }, pino.destination(2));
  const simOptions = loadSimulatorConfig('config/simulator.yaml');
  const sim = await startBrpSimulator({
    ...simOptions, port: 0,
    faults: { scriptByOrdernr: Object.fromEntries(SAMPLES.filter((s) => s.fault).map((s) => [s.ordernr, s.fault as never])), hangMs: 10_000 },
  });
  // The portals' sides: Wellnet and Epassi simulators serving the contract examples, an S&P folder.
  const wellnetPage = JSON.parse(readFileSync(join(DATA, 'wellnet-page.json'), 'utf8')) as { orders: WellnetSimOrder[] };
  const wellnet = await startWellnetSimulator({ token: DEMO_ENV.WELLNET_TOKEN, orders: wellnetPage.orders });
  const epassiPage = JSON.parse(readFileSync(join(DATA, 'epassi-page.json'), 'utf8')) as { items: EpassiSimPurchase[] };
  const epassi = await startEpassiSimulator({ clientId: 'partnerd', clientSecret: DEMO_ENV.EPASSI_CLIENT_SECRET, purchases: epassiPage.items });
  const sopRoot = mkdtempSync(join(tmpdir(), 'partnerd-demo-sop-'));
  const adminToken = randomBytes(24).toString('base64url');

  const sandbox = base.tenants.sandbox!;
  const every2s = '*/2 * * * * *';
  const config = {
    ...base,
    database: { ...base.database, url: database.url },
    redis: { url: redisUrl, prefix: `${DEMO_PREFIX}-${Date.now()}` },
    tenants: {
      sandbox: {
        ...sandbox, baseUrl: sim.baseUrl('sandbox'), apiKey: sandbox.apiKey,
        timeouts: { connectMs: 1000, responseMs: 2000 },
        retry: { ...sandbox.retry, attempts: DEMO_ATTEMPTS, baseDelayMs: 300, maxDelayMs: 2000 },
      },
    },
    // The console's login: one token for this run, never written anywhere but a private temp file.
    admin: { ...base.admin, tokens: [{ name: 'demo', token: adminToken }] },
    portals: {
      ...base.portals,
      wellnet: { ...base.portals.wellnet!, baseUrl: wellnet.baseUrl, schedule: every2s },
      epassi: { ...base.portals.epassi!, baseUrl: epassi.baseUrl, schedule: every2s },
      sop: { ...base.portals.sop!, root: sopRoot, schedule: every2s },
    },
  };
  const services = await createServices(config, logger, { schema: 'run' });
  const adminPort = process.env.ADMIN_HTTP_PORT ? Number(process.env.ADMIN_HTTP_PORT) : 0;
  const daemon = createDaemon(services, { http: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: adminPort } });
  await daemon.start();

  console.log(`BRP simulator at ${sim.baseUrl('sandbox')}, ledger in ${database.where}, Redis at ${redisUrl}, push ingest at ${daemon.ingestUrl}\n`);
  const keys: Array<[string, string]> = [];

  // Operators' manual entry (partnerd submit): confirmed, retried, rejected and in-doubt orders.
  for (const s of SAMPLES) {
    const r = await services.intake.accept(orderInput(s));
    if (r.status === 'invalid') throw new Error(`demo order ${s.ordernr} invalid: ${JSON.stringify(r.errors)}`);
    keys.push([r.key, `manual entry: ${s.what}`]);
  }
  const dup = await services.intake.accept(orderInput(SAMPLES[0]!));
  console.log(`↺ duplicate  ${SAMPLES[0]!.portal.padEnd(8)}${SAMPLES[0]!.ordernr.padEnd(17)} entered again: "${dup.status}" (already ${'state' in dup ? dup.state : '?'}), nothing new queued`);

  // Benify pushes its contract example, signed, and then delivers it again.
  const benifyBody = readFileSync(join(DATA, 'benify-order.json'));
  for (let i = 0; i < 2; i++) {
    const ts = String(Math.floor(Date.now() / 1000));
    const res = await request(`${daemon.ingestUrl}/portals/benify/orders`, {
      method: 'POST', body: benifyBody,
      headers: { 'content-type': 'application/json', 'x-benify-timestamp': ts, 'x-benify-signature': benifySignature(DEMO_ENV.BENIFY_SECRET, ts, benifyBody) },
    });
    const answer = (await res.body.json()) as { status: string; key: string };
    if (i === 0) keys.push([answer.key, 'Benify push, HMAC-signed']);
    else console.log(`↺ duplicate  benify  ${'BNF-2026-0001234'.padEnd(17)} pushed again: HTTP ${res.statusCode} "${answer.status}"`);
  }

  // Actiway pushes its XML example with the contract's Basic credentials (CLIP-10 × 2 → two BRP items).
  const aw = await request(`${daemon.ingestUrl}/portals/actiway/orders`, {
    method: 'POST', body: readFileSync(join(DATA, 'actiway-order.xml')),
    headers: { 'content-type': 'application/xml; charset=utf-8', authorization: 'Basic YWN0aXdheTpzM2NyZXQ=' },
  });
  console.log(`→ Actiway    answered HTTP ${aw.statusCode}: ${(await aw.body.text()).trim()}`);
  keys.push(['sandbox:actiway:AW-778812', 'Actiway push, XML + Basic']);

  // Benify pushes an order for a venue the config does not know: kept as unroutable, with the reason.
  const lost = JSON.parse(benifyBody.toString('utf8')) as { orderId: string; supplier: { venueId: string } };
  lost.orderId = 'BNF-2026-0009999';
  lost.supplier.venueId = 'sundbyberg';
  const lostBody = Buffer.from(JSON.stringify(lost));
  const ts = String(Math.floor(Date.now() / 1000));
  await request(`${daemon.ingestUrl}/portals/benify/orders`, {
    method: 'POST', body: lostBody,
    headers: { 'content-type': 'application/json', 'x-benify-timestamp': ts, 'x-benify-signature': benifySignature(DEMO_ENV.BENIFY_SECRET, ts, lostBody) },
  }).then((r) => r.body.dump());
  keys.push(['~:benify:BNF-2026-0009999', 'Benify push, venue not in the config']);

  // Wellnet and Epassi are polled by the daemon's schedules; S&P drops a CSV into the inbox.
  keys.push(['sandbox:wellnet:WN-55120', 'Wellnet poll (cursor)']);
  keys.push(['sandbox:epassi:EP-9f3a2c', 'Epassi poll (start day from paidAt)']);
  await mkdir(join(sopRoot, 'inbox'), { recursive: true });
  await writeFile(join(sopRoot, 'inbox', 'orders-20261120.csv'), readFileSync(join(DATA, 'sop-orders.csv')));
  keys.push(['sandbox:sop:SP-100045', 'S&P file drop']);
  keys.push(['sandbox:sop:SP-100046', 'S&P file drop']);

  const done = new Set<string>();
  const deadline = Date.now() + 45_000;
  while (done.size < keys.length && Date.now() < deadline) {
    for (const [key, what] of keys) {
      if (done.has(key)) continue;
      const rec = await services.ledger.get(key);
      if (rec && ['confirmed', 'rejected', 'in_doubt', 'dead', 'unroutable'].includes(rec.state)) {
        done.add(key);
        console.log(line(rec, what));
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const [key, what] of keys) if (!done.has(key)) console.log(`… not settled  ${key} (${what})`);

  // The outcomes go back to the portals.
  for (let i = 0; i < 50 && (wellnet.deliveries().length === 0 || epassi.marks().length === 0); i++) await new Promise((r) => setTimeout(r, 100));
  for (const d of wellnet.deliveries()) console.log(`← Wellnet    delivery ${d.id}: ${JSON.stringify(d.body)}`);
  for (const m of epassi.marks()) console.log(`← Epassi     PATCH ${m.purchaseId}: ${JSON.stringify(m.body)}`);
  const archived = await readdir(join(sopRoot, 'archive')).catch(() => []);
  console.log(`← S&P        inbox file archived under archive/${archived.join(', ')}/`);
  const receipts = await createSopIngest(services).writeReceipts(stockholmDateOf(new Date()));
  console.log(`← S&P        ${receipts.replace(sopRoot, '{root}')}:\n${(await readFile(receipts, 'utf8')).trim().split(/\r?\n/).map((l) => `             ${l}`).join('\n')}`);
  console.log(`\nBRP created ${sim.orders().length} orders for ${keys.length} distinct keys (the in-doubt one exists in BRP: an operator resolves it with \`partnerd resolve\`).`);

  async function cleanUp(): Promise<void> {
    await daemon.stop('demo finished');
    await services.redis.eval(`for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end return 1`, 0, `${config.redis.prefix}:*`);
    await services.close();
    await Promise.all([sim.close(), wellnet.close(), epassi.close()]);
    await database.drop();
    await ownedRedis?.stop();
  }

  if (!keep) {
    await cleanUp();
    return;
  }

  // --keep: everything stays up for an operator to try the console and the CLI on these orders.
  const cliDir = mkdtempSync(join(tmpdir(), 'partnerd-demo-cli-'));
  writeFileSync(join(cliDir, 'admin-token'), `${adminToken}\n`, { mode: 0o600 });
  const cliConfig = join(cliDir, 'partnerd.yaml');
  writeFileSync(cliConfig, stringify({
    database: { url: database.url },
    redis: { url: redisUrl, prefix: config.redis.prefix },
    tenants: { sandbox: { baseUrl: sim.baseUrl('sandbox'), apiKey: sandbox.apiKey, retry: { attempts: DEMO_ATTEMPTS } } },
    portals: { benify: { secret: DEMO_ENV.BENIFY_SECRET, venues: base.portals.benify?.venues ?? {} } },
    admin: { http: { enabled: false }, tokens: [{ name: 'demo', file: join(cliDir, 'admin-token') }] },
  }), { mode: 0o600 });
  console.log(`
The daemon, the simulators and the console keep running (Ctrl-C stops them and removes the demo's data).

  console   ${daemon.adminUrl}/console      token: ${adminToken}
  admin API curl -H 'Authorization: Bearer ${adminToken}' '${daemon.adminUrl}/api/orders?state=in_doubt,dead,rejected,unroutable'
  CLI       npm run --silent partnerd -- -c ${cliConfig} orders --state in_doubt,dead,rejected,unroutable

Waiting for an operator: the in-doubt order (sandbox:epassi:DEMO-1005, it IS in BRP: resolve it with BRP's numbers
from ${sim.url}/_sim/orders), the dead one (sandbox:actiway:DEMO-1007: requeue), the rejected one
(sandbox:actiway:DEMO-1004, unknown product 9999: amend it with product 1001) and the unroutable one
(~:benify:BNF-2026-0009999, venue "sundbyberg" is not configured: add it to portals.benify.venues and reroute, or amend it with the whole order).`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      console.log('\nstopping…');
      void cleanUp().then(done, (err) => {
        console.error(err);
        done();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
