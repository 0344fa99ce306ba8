import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { startStores, type Stores } from '../helpers/pipeline.js';
import { sampleOrderInput } from '../helpers/orders.js';
import { TEST_API_KEY, XSD_PATH } from '../helpers/pipeline.js';
import { appendTestLog } from '../helpers/test-logs.js';

/** The operator's CLI, run as a real process: exit codes, stdout, stderr. */
const ROOT = resolve(import.meta.dirname, '../..');
let stores: Stores;
let dir: string;
let configPath: string;

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--config', configPath, ...args], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, CLI_TEST_KEY: TEST_API_KEY }, timeout: 60_000, input,
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
    tenants: { t1: { baseUrl: 'http://127.0.0.1:9/t1/', apiKey: '${CLI_TEST_KEY}', articles: { 'GYM-12M': '1001', TOWEL: '2001', 'CLIP-10': '1002' } } },
    portals: {
      benify: { secret: 'cli-test-benify-secret', venues: { odenplan: { tenant: 't1', businessUnit: 1 } } },
      sop: { root: join(dir, 'sop'), venues: { odenplan: { tenant: 't1', businessUnit: 1 }, 'gbg-city': { tenant: 't1', businessUnit: 2 } } },
    },
  }));
});
after(async () => { await stores.stop(); });

describe('partnerd CLI', { concurrency: false }, () => {
  test('render: prints the XML that would be sent', () => {
    const r = cli(['render', file('one.json', sampleOrderInput('CLI-1'))]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^<\?xml version="1.0" encoding="UTF-8"\?>/);
    assert.match(r.stdout, /<ordernr>CLI-1<\/ordernr>/);
    assert.match(r.stdout, /<personnumber>111111\+1116<\/personnumber>/, 'normalised to the short form with + (born 1911)');
    assert.match(r.stdout, /<priceincvat>250000<\/priceincvat>/);
    assert.match(r.stdout, /<name>Test Org &amp; Söner AB<\/name>/);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(TEST_API_KEY));
  });

  test('render: every validation error with its path, exit code 2, no XML', () => {
    const bad = sampleOrderInput('CLI-2', { businessUnit: 0, items: [{ productNumber: '', startDay: '2026-02-30', priceIncVat: '1,234' }] });
    (bad.person as Record<string, unknown>).personnummer = '19111111-1117';
    const r = cli(['render', file('bad.json', bad)]);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    for (const path of ['businessUnit', 'person.personnummer', 'items[0].productNumber', 'items[0].startDay', 'items[0].priceIncVat']) {
      assert.match(r.stderr, new RegExp(`  ${path.replace(/[[\].]/g, '\\$&')}: `), `${path} in ${r.stderr}`);
    }
    assert.doesNotMatch(r.stderr, /19111111-1117/, 'the bad value is not echoed');
  });

  test('render <portal> <payload>: one {key, tenant, url, xml} per BRP order, the URL without the API key', () => {
    const r = cli(['render', 'sop', resolve(ROOT, 'examples/portals/sop-orders.csv')]);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Array<{ key: string; tenant: string; url: string; xml: string }>;
    assert.deepEqual(out.map((o) => o.key), ['t1:sop:SP-100045', 't1:sop:SP-100046']);
    assert.deepEqual(out.map((o) => o.tenant), ['t1', 't1']);
    assert.equal(out[0]!.url, 'http://127.0.0.1:9/t1/webservice/partnerorders/createsoporder');
    assert.match(out[0]!.xml, /<productnumber>1001<\/productnumber>[\s\S]*<productnumber>2001<\/productnumber>/);
    assert.match(out[1]!.xml, /<name>Bröderna Ek &amp; Söner, AB<\/name>/);
    assert.match(out[1]!.xml, /<businessunit>\s*<id>2<\/id>/);
    assert.doesNotMatch(r.stdout, new RegExp(TEST_API_KEY));
  });

  test('render <portal> <payload>: errors in the portal\'s own paths, unroutable named, exit 2', () => {
    const order = JSON.parse(readFileSync(resolve(ROOT, 'examples/portals/benify-order.json'), 'utf8'));
    order.employee.personalIdentityNumber = '19111111-1117';
    order.lines[0].priceInclVat.currency = 'EUR';
    const bad = cli(['render', 'benify', file('benify-bad.json', order)]);
    assert.equal(bad.status, 2);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /BNF-2026-0001234 invalid\n {2}lines\[0\]\.priceInclVat\.currency: /);
    order.lines[0].priceInclVat.currency = 'SEK';
    const badPnr = cli(['render', 'benify', file('benify-bad2.json', order)]);
    assert.match(badPnr.stderr, / {2}employee\.personalIdentityNumber: /);
    order.employee.personalIdentityNumber = '19111111-1116';
    order.supplier.venueId = 'nowhere';
    const unroutable = cli(['render', 'benify', file('benify-unroutable.json', order)]);
    assert.equal(unroutable.status, 2);
    assert.match(unroutable.stderr, /unroutable: unknown venue at supplier\.venueId \(not in portals\.benify\.venues\)/);
  });

  test('migrate: a command on a database without the schema names the fix; migrate applies it once', () => {
    const before = cli(['status']);
    assert.equal(before.status, 1);
    assert.match(before.stderr, /^partnerd: the ledger database schema is older than this build: the database at 127\.0\.0\.1:\d+ lacks 1 migration\(s\); run: partnerd migrate\n$/);
    const first = cli(['migrate']);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /^applied 1 migration\(s\): \d+_ledger\n$/);
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
    const rows = list.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((r) => r.key).sort(), ['t1:benify:CLI-3', 't1:benify:CLI-4']);
    assert.ok(rows.every((r) => r.state === 'queued'));
    const show = cli(['show', 't1:benify:CLI-3']);
    assert.equal(show.status, 0, show.stderr);
    const detail = JSON.parse(show.stdout);
    assert.equal(detail.person.personnummer, '11xxxx+xx16');
    assert.equal(detail.person.email, 't***@test.com');
    assert.doesNotMatch(show.stdout, /Tessan|Testsson|111111\+1116/);
    const status = JSON.parse(cli(['status']).stdout);
    assert.equal(status.orders.queued, 2);
    assert.equal(status.tenants[0].tenant, 't1');
  });

  test('requeue refuses an order that is not dead, rejected or in-doubt; resume of an unpaused tenant says so', () => {
    const r = cli(['requeue', 't1:benify:CLI-3']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /order state does not allow that action: t1:benify:CLI-3 is queued/);
    const resume = cli(['resume', 't1']);
    assert.equal(resume.stdout, 't1 was not paused\n');
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
    assert.match(missing.stderr, /^partnerd: ENOENT: no such file or directory[^\n]*\n$/, 'one line');
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
