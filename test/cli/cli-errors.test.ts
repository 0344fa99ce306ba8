import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../support/private-redis.js';
import { BREAKER_OFF, startPipeline, startStores, TEST_API_KEY, TEST_ERASURE_KEY, XSD_PATH, type Pipeline, type Stores } from '../../support/pipeline.js';
import { sampleOrderInput } from '../../support/orders.js';
import { appendTestLog } from '../../support/test-logs.js';

/**
 * Every error an operator can run into at the CLI is one line on stderr and a non-zero exit,
 * never a stack trace; and the operator verbs record who acted (`--actor`) with their reason.
 */
const ROOT = resolve(import.meta.dirname, '../..');
let stores: Stores;
let p: Pipeline;
let dir: string;

function writeConfig(name: string, overrides: { redis?: string; database?: string; adminPort?: number } = {}): string {
  const path = join(dir, name);
  writeFileSync(path, stringify({
    database: { url: overrides.database ?? stores.urls.database, connectTimeoutMs: 1_000 },
    redis: { url: overrides.redis ?? stores.urls.redis, prefix: 'pdtest' },
    xsdPath: XSD_PATH,
    tenants: { t1: { baseUrl: p.sim.baseUrl('t1'), apiKey: '${CLI_TEST_KEY}' } },
    ingest: { http: { enabled: false } },
    admin: { http: { host: '127.0.0.1', port: overrides.adminPort ?? 0 } },
    retention: { erasureKey: TEST_ERASURE_KEY },
  }));
  return path;
}

function cli(config: string, args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--config', config, ...args], {
    cwd: ROOT, encoding: 'utf8', env: { ...withoutLogLevel(), CLI_TEST_KEY: TEST_API_KEY }, timeout: 60_000,
  });
  appendTestLog(r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => `${l}\n`).join(''));
  return r;
}

function withoutLogLevel(): NodeJS.ProcessEnv {
  const { LOG_LEVEL: _level, ...env } = process.env;
  return env;
}

/** The stderr of a failed command: exactly one line, no stack trace. */
function oneLine(r: { status: number | null; stderr: string; stdout: string }): string {
  assert.notEqual(r.status, 0, `exit code (stdout: ${r.stdout})`);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  return lines[0]!;
}

let config: string;

before(async () => {
  stores = await startStores();
  p = await startPipeline({ stores, tenant: BREAKER_OFF, faults: { scriptByOrdernr: { 'E-DOUBT': ['timeout-after-commit'], 'E-D1': ['503', '503', '503'], 'E-D2': ['503', '503', '503'] } , hangMs: 2_000 } });
  dir = mkdtempSync(join(tmpdir(), 'partnerd-cli-errors-'));
  config = writeConfig('partnerd.yaml');
});
after(async () => {
  await p.close();
  await stores.stop();
});

describe('CLI errors: one line, non-zero, no stack trace', { concurrency: false }, () => {
  test('an unknown state lists the valid ones', () => {
    const line = oneLine(cli(config, ['orders', '--state', 'failed']));
    assert.equal(line, 'partnerd: invalid argument: unknown state "failed" (valid: queued, submitting, retrying, confirmed, rejected, in_doubt, dead, unroutable, rerouted, review)');
  });

  test('an unknown tenant is an error, not an empty list', () => {
    const line = oneLine(cli(config, ['orders', '--tenant', 'sandbx']));
    assert.equal(line, 'partnerd: no tenant with that name is configured: sandbx (configured: t1; ~ for unroutable orders)');
  });

  test('a missing or malformed order file is named', () => {
    const missing = oneLine(cli(config, ['submit', join(dir, 'nope.json')]));
    assert.equal(missing, `partnerd: cannot read file: ${join(dir, 'nope.json')}: no such file`);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"portal": "benify",\n  "ordernr": }');
    const malformed = cli(config, ['submit', bad]);
    assert.equal(malformed.status, 2);
    assert.match(oneLine(malformed), new RegExp(`^partnerd: order failed validation: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid JSON`));
    const patch = oneLine(cli(config, ['amend', 't1:benify:X', '--patch', join(dir, 'nope-patch.json'), '--reason', 'x']));
    assert.match(patch, /^partnerd: cannot read file: .*nope-patch\.json: no such file$/);
  });

  test('resume-portal of a push portal says which portals can be resumed', () => {
    assert.equal(oneLine(cli(config, ['resume-portal', 'benify'])), 'partnerd: invalid argument: benify is not a pull portal: only wellnet and epassi are polled and told outcomes, so only they can be stopped');
    assert.equal(oneLine(cli(config, ['resume', 'portal', 'benify'])), 'partnerd: invalid argument: benify is not a pull portal: only wellnet and epassi are polled and told outcomes, so only they can be stopped');
    assert.match(oneLine(cli(config, ['resume', 'tenant', 'sandbx'])), /^partnerd: no tenant with that name is configured: sandbx/);
  });

  test('a port already in use names the address', async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      const r = cli(writeConfig('busy.yaml', { adminPort: port }), ['run']);
      const lines = r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
      assert.notEqual(r.status, 0);
      assert.deepEqual(lines, [`partnerd: cannot listen: 127.0.0.1:${port}: the address is already in use`], r.stderr);
      assert.doesNotMatch(r.stderr, /^\s+at /m);
    } finally {
      blocker.close();
    }
  });

  test('an unreachable Redis or PostgreSQL: "cannot reach … at host:port", nothing else', async () => {
    const deadPort = await freePort();
    const redis = oneLine(cli(writeConfig('noredis.yaml', { redis: `redis://127.0.0.1:${deadPort}` }), ['orders']));
    assert.equal(redis, `partnerd: Redis does not answer: cannot reach Redis at 127.0.0.1:${deadPort}`);
    const pg = oneLine(cli(writeConfig('nopg.yaml', { database: `postgres://postgres@127.0.0.1:${deadPort}/postgres` }), ['status']));
    assert.equal(pg, `partnerd: the ledger database does not answer: cannot reach PostgreSQL at 127.0.0.1:${deadPort}`);
  });

  test('requeue: several keys at once; an in-doubt order needs --not-in-brp and --reason; a bulk re-queue needs --yes without a terminal', async () => {
    const keys: string[] = [];
    for (const n of ['E-D1', 'E-D2', 'E-DOUBT']) keys.push((await p.services.intake.accept(sampleOrderInput(n)) as { key: string }).key);
    await p.waitForState(keys[0]!, 'dead', 15_000);
    await p.waitForState(keys[1]!, 'dead', 15_000);
    await p.waitForState(keys[2]!, 'in_doubt', 15_000);
    const doubt = oneLine(cli(config, ['requeue', keys[2]!]));
    assert.match(doubt, /^partnerd: invalid argument: an in-doubt order may exist in BRP: re-queue it only after checking BRP, and say so \(--not-in-brp/);
    assert.match(oneLine(cli(config, ['requeue', keys[2]!, '--not-in-brp'])), /re-queueing an in-doubt order needs a reason/);
    const noYes = oneLine(cli(config, ['requeue', '--state', 'dead']));
    assert.equal(noYes, 'partnerd: invalid argument: 2 order(s) match; nothing was requeued (add --yes to requeue them, --dry-run to list them)');
    assert.equal((await p.services.ledger.get(keys[0]!))?.state, 'dead');
    const dry = cli(config, ['requeue', '--state', 'dead', '--tenant', 't1', '--dry-run', '--json']);
    assert.equal(dry.status, 0, dry.stderr);
    assert.deepEqual({ ...JSON.parse(dry.stdout), firstKeys: [...JSON.parse(dry.stdout).firstKeys].sort() }, { dryRun: true, count: 2, withoutPayload: 0, firstKeys: [keys[0], keys[1]].sort() });
    const both = cli(config, ['--actor', 'erik', 'requeue', keys[0]!, keys[1]!, '--reason', 'BRP is back']);
    assert.equal(both.status, 0, both.stderr);
    assert.equal(both.stdout, `requeued ${keys[0]} (was dead)\nrequeued ${keys[1]} (was dead)\n`);
    const audit = both.stderr.split('\n').filter((l) => l.includes('"admin.requeue"')).map((l) => JSON.parse(l));
    assert.equal(audit.length, 2, 'one admin.requeue line per order on stderr, at info');
    assert.deepEqual([audit[0].level, audit[0].actor, audit[0].via, audit[0].fromState, audit[0].reason], ['info', 'erik', 'cli', 'dead', 'BRP is back']);
    const action = (await p.services.ledger.history(keys[0]!)).filter((e) => e.kind === 'action').pop();
    assert.ok(action && action.kind === 'action');
    assert.deepEqual([action.actor, action.action, action.fromState, action.toState, action.reason], ['erik', 'requeue', 'dead', 'queued', 'BRP is back']);
    await p.waitForState(keys[0]!, 'confirmed', 15_000);
  });

  test('show: SEK amounts, the audit trail; --json everywhere', async () => {
    const key = 't1:benify:E-D1';
    const show = cli(config, ['show', key]);
    assert.equal(show.status, 0, show.stderr);
    assert.match(show.stdout, /^amount {12}2 510,00 kr$/m);
    assert.match(show.stdout, /requeue by erik: dead → queued, reason: BRP is back/);
    assert.doesNotMatch(show.stdout, /19111111|111111-1116|tessan@/);
    const found = cli(config, ['find', 'E-D1', '--json']);
    assert.equal(JSON.parse(found.stdout)[0].key, key);
    const orders = cli(config, ['orders', '--limit', '1']);
    assert.match(orders.stdout, /^UPDATED {2,}STATE {2,}KEY/);
    assert.match(orders.stdout, /… more orders match: add --cursor \S+ for the next 1$/m);
    const none = cli(config, ['find', 'NO-SUCH-ORDER']);
    assert.equal(none.status, 1);
  });
});
