import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { stockholmDateOf } from '../../src/domain/stockholm-date.js';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { startStores, type Stores } from '../../support/pipeline.js';
import { sampleOrderInput } from '../../support/orders.js';
import { TEST_API_KEY, TEST_ERASURE_KEY, XSD_PATH } from '../../support/pipeline.js';
import { appendTestLog } from '../../support/test-logs.js';

/** The operator's CLI, run as a real process: exit codes, stdout, stderr. */
const ROOT = resolve(import.meta.dirname, '../..');
let stores: Stores;
let dir: string;
let configPath: string;

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--config', configPath, ...args], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, CLI_TEST_KEY: TEST_API_KEY }, timeout: 60_000, ...(input !== undefined ? { input } : {}),
  });
  appendTestLog(r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => `${l}\n`).join(''));
  return r;
}

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

before(async () => {
  stores = await startStores();
  dir = mkdtempSync(join(tmpdir(), 'partnerd-cli-'));
  configPath = join(dir, 'partnerd.yaml');
  writeFileSync(configPath, stringify({
    database: { url: stores.urls.database },
    redis: { url: stores.urls.redis, prefix: 'cli' },
    xsdPath: XSD_PATH,
    retention: { erasureKey: TEST_ERASURE_KEY },
    tenants: { t1: { baseUrl: 'http://127.0.0.1:9/t1/', apiKey: '${CLI_TEST_KEY}', articles: { 'GYM-12M': '1001', TOWEL: '2001', 'CLIP-10': '1002' } } },
    portals: {
      benify: { secret: 'cli-test-benify-secret', venues: { odenplan: { tenant: 't1', businessUnit: 1 } } },
      sop: { root: join(dir, 'sop'), venues: { odenplan: { tenant: 't1', businessUnit: 1 }, 'gbg-city': { tenant: 't1', businessUnit: 2 } } },
    },
  }));
});
after(async () => { await stores.stop(); });

describe('partnerd CLI', { concurrency: false }, () => {
  test('render order: prints the XML that would be sent', () => {
    const r = cli(['render', 'order', file('one.json', sampleOrderInput('CLI-1'))]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^<\?xml version="1.0" encoding="UTF-8"\?>/);
    assert.match(r.stdout, /<ordernr>CLI-1<\/ordernr>/);
    assert.match(r.stdout, /<personnumber>111111\+1116<\/personnumber>/, 'normalised to the short form with + (born 1911)');
    assert.match(r.stdout, /<priceincvat>250000<\/priceincvat>/);
    assert.match(r.stdout, /<name>Test Org &amp; Söner AB<\/name>/);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(TEST_API_KEY));
    const old = cli(['render', file('one.json', sampleOrderInput('CLI-1'))]);
    assert.deepEqual([old.status, old.stdout], [0, r.stdout], '`render <file>` is the old form, still the same');
  });

  test('render order: every validation error with its path, exit code 2, no XML', () => {
    const bad = sampleOrderInput('CLI-2', { businessUnit: 0, items: [{ productNumber: '', startDay: '2026-02-30', priceIncVat: '1,234' }] });
    (bad.person as Record<string, unknown>).personnummer = '19111111-1117';
    const r = cli(['render', 'order', file('bad.json', bad)]);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    for (const path of ['businessUnit', 'person.personnummer', 'items[0].productNumber', 'items[0].startDay', 'items[0].priceIncVat']) {
      assert.match(r.stderr, new RegExp(`  ${path.replace(/[[\].]/g, '\\$&')}: `), `${path} in ${r.stderr}`);
    }
    assert.doesNotMatch(r.stderr, /19111111-1117/, 'the bad value is not echoed');
  });

  test('render portal <portal> <payload>: one {key, tenant, url, xml} per BRP order, the URL without the API key', () => {
    const r = cli(['render', 'portal', 'sop', resolve(ROOT, 'examples/portals/sop-orders.csv')]);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Array<{ key: string; tenant: string; url: string; xml: string }>;
    assert.deepEqual(out.map((o) => o.key), ['t1:sop:SP-100045', 't1:sop:SP-100046']);
    assert.deepEqual(out.map((o) => o.tenant), ['t1', 't1']);
    assert.equal(out[0]!.url, 'http://127.0.0.1:9/t1/webservice/partnerorders/createsoporder');
    assert.match(out[0]!.xml, /<productnumber>1001<\/productnumber>[\s\S]*<productnumber>2001<\/productnumber>/);
    assert.match(out[1]!.xml, /<name>Bröderna Ek &amp; Söner, AB<\/name>/);
    assert.match(out[1]!.xml, /<businessunit>\s*<id>2<\/id>/);
    assert.doesNotMatch(r.stdout, new RegExp(TEST_API_KEY));
    const old = cli(['render', 'sop', resolve(ROOT, 'examples/portals/sop-orders.csv')]);
    assert.deepEqual([old.status, old.stdout], [0, r.stdout], '`render <portal> <payload>` is the old form, still the same');
    const usage = cli(['render', 'portal', 'sop']);
    assert.equal(usage.status, 1);
    assert.equal(usage.stderr, 'partnerd: invalid argument: render order <file.json> or render portal <portal> <payload-file>\n');
    const unknown = cli(['render', 'portal', 'nope', resolve(ROOT, 'examples/portals/sop-orders.csv')]);
    assert.match(unknown.stderr, /^partnerd: invalid argument: unknown portal nope \(benify, /);
  });

  test('render portal <portal> <payload>: errors in the portal\'s own paths, unroutable named, exit 2', () => {
    const order = JSON.parse(readFileSync(resolve(ROOT, 'examples/portals/benify-order.json'), 'utf8'));
    order.employee.personalIdentityNumber = '19111111-1117';
    order.lines[0].priceInclVat.currency = 'EUR';
    const bad = cli(['render', 'portal', 'benify', file('benify-bad.json', order)]);
    assert.equal(bad.status, 2);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /BNF-2026-0001234 invalid\n {2}lines\[0\]\.priceInclVat\.currency: /);
    order.lines[0].priceInclVat.currency = 'SEK';
    const badPnr = cli(['render', 'portal', 'benify', file('benify-bad2.json', order)]);
    assert.match(badPnr.stderr, / {2}employee\.personalIdentityNumber: /);
    order.employee.personalIdentityNumber = '19111111-1116';
    order.supplier.venueId = 'nowhere';
    const unroutable = cli(['render', 'portal', 'benify', file('benify-unroutable.json', order)]);
    assert.equal(unroutable.status, 2);
    // At the unknown reference's path, like every other problem (the fuzz suite's errors-have-paths
    // found it reported at no path at all).
    assert.match(unroutable.stderr, /\n {2}supplier\.venueId: unroutable: unknown venue at supplier\.venueId \(not in portals\.benify\.venues\)/);
  });

  test('migrate: a command on a database without the schema names the fix; migrate applies it once', () => {
    const before = cli(['status']);
    assert.equal(before.status, 1);
    assert.match(before.stderr, /^partnerd: the ledger database schema is older than this build: the database at 127\.0\.0\.1:\d+ lacks 4 migration\(s\); run: partnerd migrate\n$/);
    const first = cli(['migrate']);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /^applied 4 migration\(s\): \d+_ledger, \d+_operator-lookups, \d+_finance-and-personal-data, \d+_live-orders-walk\n$/);
    const second = cli(['migrate']);
    assert.equal(second.stdout, 'schema is up to date\n');
  });

  test('submit: accepted, then duplicate; invalid entries give exit 2', () => {
    const path = file('batch.json', [sampleOrderInput('CLI-3'), sampleOrderInput('CLI-4')]);
    const first = cli(['submit', path]);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(first.stdout, '#0 accepted t1:benify:CLI-3\n#1 accepted t1:benify:CLI-4\n');
    const second = cli(['submit', path]);
    assert.equal(second.stdout, '#0 duplicate t1:benify:CLI-3 (already queued)\n#1 duplicate t1:benify:CLI-4 (already queued)\n');
    const invalid = cli(['submit', file('inv.json', sampleOrderInput('CLI-5', { tenant: 'nope' }))]);
    assert.equal(invalid.status, 2);
    assert.match(invalid.stdout, /#0 invalid\n {2}tenant: no tenant with this name is configured/);
  });

  test('orders, show and status: what operators see, personal data masked', () => {
    const list = cli(['orders', '--json']);
    assert.equal(list.status, 0, list.stderr);
    const rows = (JSON.parse(list.stdout) as { orders: Array<{ key: string; state: string }> }).orders;
    assert.deepEqual(rows.map((r) => r.key).sort(), ['t1:benify:CLI-3', 't1:benify:CLI-4']);
    assert.ok(rows.every((r) => r.state === 'queued'));
    const show = cli(['show', 't1:benify:CLI-3', '--json']);
    assert.equal(show.status, 0, show.stderr);
    const detail = JSON.parse(show.stdout);
    assert.equal(detail.order.person.personnummer, '11xxxx+xx16');
    assert.equal(detail.order.person.email, 't***@test.com');
    assert.equal(detail.order.items[0].price, '2 500,00 kr');
    assert.doesNotMatch(show.stdout, /Tessan|Testsson|111111\+1116/);
    const status = JSON.parse(cli(['status']).stdout);
    assert.equal(status.orders.queued, 2);
    assert.equal(status.tenants[0].tenant, 't1');
  });

  test('requeue refuses an order that is not dead, rejected or in-doubt; resume of an unpaused tenant says so', () => {
    const r = cli(['requeue', 't1:benify:CLI-3']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /order state does not allow that action: t1:benify:CLI-3 is queued/);
    const resume = cli(['resume', 'tenant', 't1']);
    assert.equal(resume.stdout, 't1 was not paused\n');
    assert.equal(cli(['resume', 't1']).stdout, 't1 was not paused\n', '`resume <tenant>` is the old form');
  });

  test('export invoices: a file written whole (Excel conventions), JSON lines on stdout, totals and progress on stderr; bad dates refused in one line', async () => {
    const today = stockholmDateOf(new Date());
    const db = new pg.Client({ connectionString: stores.urls.database });
    await db.connect();
    try {
      // CLI-4 as BRP confirms it (the test has no daemon).
      await db.query(`UPDATE orders SET state = 'confirmed', confirmed_at = now(), final_at = now(), updated_at = now(), payload = NULL, xml = NULL,
        brp_order_number = '41', invoice_number = '42', ocr = '422', sum_ore = 251000, sum_ex_vat_ore = 236649, invoice_total_ore = 251000,
        vat_sums = '[{"ratePercent":25,"amountOre":200},{"ratePercent":6,"amountOre":14151}]', invoice_date = $1, due_date = $1 WHERE key = 't1:benify:CLI-4'`, [today]);
    } finally {
      await db.end();
    }
    const out = join(dir, 'invoices.csv');
    const r = cli(['export', 'invoices', '--from', today, '--to', today, '--excel', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    const bytes = readFileSync(out);
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString('utf8').split('\r\n');
    assert.equal(lines.length, 3, 'header, one order, the final CRLF');
    assert.match(lines[1]!, /^benify;CLI-4;t1;1;556016-0680;Test Org & Söner AB;41;42;422;\d{4}-\d{2}-\d{2};\d{4}-\d{2}-\d{2};2510,00;251000;2366,49;236649;2,00;200;0,00;0;141,51;14151;brp;/);
    assert.ok(!existsSync(`${out}.partial`), 'no partial file left');
    assert.match(r.stderr, /exported 1 confirmed order\(s\), .* total incl\. VAT 2 510,00 kr, ex\. VAT 2 366,49 kr, VAT 25 %: 2,00 kr, 6 %: 141,51 kr;/);
    assert.match(r.stderr, /export invoices \[.*\] 1\/1 orders/, 'progress');

    const jsonl = cli(['export', 'invoices', '--from', today, '--to', today, '--format', 'jsonl', '--portal', 'benify']);
    assert.equal(jsonl.status, 0, jsonl.stderr);
    const [order] = jsonl.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual([order.portalOrderId, order.ocr, order.totalIncVat], ['CLI-4', '422', { sek: '2510.00', ore: 251000 }]);
    for (const text of [bytes.toString('utf8'), jsonl.stdout]) assert.doesNotMatch(text, /Tessan|Testsson|1116|tessan@/);

    const bad = cli(['export', 'invoices', '--from', '2026-02-30', '--to', today]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--from.*a real date written YYYY-MM-DD/);
    const backwards = cli(['export', 'invoices', '--from', today, '--to', '2020-01-01', '--out', join(dir, 'none.csv')]);
    assert.equal(backwards.status, 1);
    assert.match(backwards.stderr, /^partnerd: invalid argument: the range ends \(2020-01-01\) before it starts/m);
    assert.equal(backwards.stderr.trim().split('\n').length, 1, 'one line, no stack trace');
    assert.ok(!existsSync(join(dir, 'none.csv')) && !existsSync(join(dir, 'none.csv.partial')), 'nothing written');
  });

  test('report daily: per portal and tenant, the day\'s confirmed orders and their total', () => {
    const today = stockholmDateOf(new Date());
    const r = cli(['report', 'daily', '--date', today, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => JSON.parse(l)), [
      { day: today, portal: 'benify', tenant: 't1', confirmed: 1, confirmedTotalOre: 251000, confirmedAsSent: 0, rejected: 0, unroutable: 0 },
    ]);
    const table = cli(['report', 'daily', '--date', today]);
    assert.match(table.stdout, new RegExp(`${today}  benify\\s+t1\\s+1\\s+2 510,00\\s+0\\s+0`));
    assert.match(cli(['report', 'daily', '--date', '2020-01-01']).stdout, /\(no outcomes on 2020-01-01\)/);
  });

  test('retention run --dry-run: counts, changes nothing', () => {
    const r = cli(['retention', 'run', '--dry-run', '--actor', 'dpo']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^personal data: would remove from 0 order\(s\) unchanged since /m);
    assert.match(r.stdout, /^records: would delete 0 last changed before \d{4}-12-31T23:00:00\.000Z/m);
    assert.match(r.stdout, /^S&P files: would delete 0 written before /m);
  });

  test('erase: --personnummer from stdin (any form), a live order refused with exit 1; by key; audited', () => {
    const dry = cli(['erase', '--personnummer', '-', '--reason', 'DSR-1', '--dry-run'], '19111111-1116\n');
    assert.equal(dry.status, 1, 'a live order of the person is refused');
    assert.match(dry.stdout, /^refused t1:benify:CLI-3: queued: it is still to be sent to BRP/m);
    assert.match(dry.stdout, /^would erase t1:benify:CLI-4 \(confirmed\)$/m);
    const byKey = cli(['erase', 't1:benify:CLI-4', '--reason', 'DSR-1', '--actor', 'dpo']);
    assert.equal(byKey.status, 0, byKey.stderr);
    assert.equal(byKey.stdout, 'erased t1:benify:CLI-4 (confirmed)\n');
    const after = cli(['erase', '--personnummer', '191111111116', '--reason', 'DSR-1', '--json']);
    assert.deepEqual(JSON.parse(after.stdout).orders.map((o: { key: string }) => o.key), ['t1:benify:CLI-3'], 'CLI-4 has nothing left to find');
    const show = JSON.parse(cli(['show', 't1:benify:CLI-4', '--json']).stdout);
    assert.deepEqual(show.history.filter((h: { action?: string }) => h.action === 'erase').map((h: { actor: string; reason: string }) => [h.actor, h.reason]), [['dpo', 'DSR-1']]);
    const neither = cli(['erase', '--reason', 'x']);
    assert.equal(neither.status, 1);
    assert.match(neither.stderr, /^partnerd: invalid argument: give either an order key or --personnummer$/m);
    for (const r of [dry, byKey, after]) assert.doesNotMatch(r.stdout + r.stderr, /1116/);
  });

  test('submit -: canonical orders from standard input; a broken input or a failure is one line on stderr, never a stack trace', () => {
    const r = cli(['submit', '-'], JSON.stringify([sampleOrderInput('CLI-STDIN-1'), sampleOrderInput('CLI-STDIN-2')]));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '#0 accepted t1:benify:CLI-STDIN-1\n#1 accepted t1:benify:CLI-STDIN-2\n');
    assert.equal(cli(['submit', '-'], JSON.stringify(sampleOrderInput('CLI-STDIN-1'))).stdout, '#0 duplicate t1:benify:CLI-STDIN-1 (already queued)\n');

    const broken = cli(['submit', '-'], '{"portal": "benify",\n  "ordernr": }');
    assert.equal(broken.status, 2);
    assert.equal(broken.stdout, '');
    assert.match(broken.stderr, /^partnerd: order failed validation: standard input is not valid JSON( \([^\n]*\))?\n$/);
    const notUtf8 = cli(['submit', '-'], Buffer.from([0x7b, 0xff, 0x7d]) as unknown as string);
    assert.match(notUtf8.stderr, /^partnerd: order failed validation: standard input is not valid UTF-8 \([^\n]*\)\n$/);

    const missing = cli(['submit', join(dir, 'no-such-file.json')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^partnerd: cannot read file: [^\n]*no-such-file\.json: no such file\n$/, 'one line naming the file');
    assert.doesNotMatch(missing.stderr, /\n\s+at /, 'no stack trace');
  });

  test('a bad config is refused at start, naming the key', () => {
    const badConfig = join(dir, 'bad.yaml');
    writeFileSync(badConfig, stringify({ tenants: { t1: { baseUrl: 'not a url', apiKey: 'x', concurrency: 0 } } }));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--config', badConfig, 'status'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /tenants\.t1\.baseUrl/);
    assert.match(r.stderr, /tenants\.t1\.concurrency/);
  });
});
