import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { freePort } from '../../support/private-redis.js';
import { EVENTS } from '../../src/observability/events.js';
import { startSimulator, startStores, TEST_API_KEY, TEST_ERASURE_KEY, XSD_PATH, type Stores } from '../../support/pipeline.js';
import { appendTestLog } from '../../support/test-logs.js';

/**
 * The environment reaches the daemon (`partnerd run`), not only the other commands: the config
 * file says `log.level: info` and an ingest port, LOG_LEVEL=debug and INGEST_HTTP_PORT win, as
 * the README and the compose file promise. A request to no portal is logged at debug
 * (`ingest.request`), so a debug line on that port proves both. Every line the daemon wrote is
 * a catalogued event.
 */
const ROOT = resolve(import.meta.dirname, '../..');

let stores: Stores;
before(async () => { stores = await startStores(); });
after(async () => { await stores.stop(); });

test('run: LOG_LEVEL and INGEST_HTTP_PORT from the environment override the config file', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'partnerd-run-env-'));
  const sim = await startSimulator({});
  try {
    const [filePort, envPort] = [await freePort(), await freePort()];
    const configPath = join(dir, 'partnerd.yaml');
    writeFileSync(configPath, stringify({
      database: { url: stores.urls.database },
      redis: { url: stores.urls.redis, prefix: 'runenv' },
      retention: { erasureKey: TEST_ERASURE_KEY },
      xsdPath: XSD_PATH,
      log: { level: 'info' },
      shutdownGraceMs: 1_000,
      tenants: { t1: { baseUrl: sim.baseUrl('t1'), apiKey: '${RUN_ENV_API_KEY}' } },
      // A push portal, so that the push server runs.
      portals: { benify: { secret: 'run-env-benify-secret-0123456789', venues: { V1: { tenant: 't1', businessUnit: 1 } } } },
      ingest: { http: { host: '127.0.0.1', port: filePort } },
      admin: { http: { host: '127.0.0.1', port: 0 } },
    }));
    const daemon = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run'], {
      cwd: ROOT,
      env: {
        ...process.env, PARTNERD_CONFIG: configPath, RUN_ENV_API_KEY: TEST_API_KEY, LOG_LEVEL: 'debug', INGEST_HTTP_PORT: String(envPort),
        REDIS_URL: '', DATABASE_URL: '', ADMIN_HTTP_HOST: '', ADMIN_HTTP_PORT: '', INGEST_HTTP_HOST: '', INGEST_TRUSTED_PROXIES: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    daemon.stdout!.on('data', (d: Buffer) => { out += d.toString(); appendTestLog(d.toString()); });
    daemon.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    const exited = new Promise<number | null>((r) => daemon.once('exit', (code) => r(code)));
    const waitFor = async (what: RegExp, label: string) => {
      const deadline = Date.now() + 60_000;
      while (!what.test(out)) {
        if (Date.now() > deadline || daemon.exitCode !== null) throw new Error(`${label}:\n${out.slice(-2000)}\n${err.slice(-2000)}`);
        await sleep(100);
      }
    };
    try {
      await waitFor(/"event":"daemon\.started"/, 'the daemon did not start');
      const res = await fetch(`http://127.0.0.1:${envPort}/no-such-portal`);
      assert.equal(res.status, 404, 'the push server listens on INGEST_HTTP_PORT');
      await waitFor(/"level":"debug"[^\n]*"event":"ingest\.request"|"event":"ingest\.request"[^\n]*"level":"debug"/, 'no debug line: LOG_LEVEL=debug did not reach run');
      await assert.rejects(fetch(`http://127.0.0.1:${filePort}/no-such-portal`), 'nothing listens on the file\'s port');
    } finally {
      daemon.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(45_000).then(() => 'hung' as const)]);
      if (code === 'hung') daemon.kill('SIGKILL');
    }
    const lines = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(lines.some((l) => l.event === 'daemon.stopped'), 'stopped cleanly');
    for (const l of lines) {
      assert.ok(typeof l.event === 'string' && l.event in EVENTS, `not in the catalogue: ${JSON.stringify(l).slice(0, 200)}`);
      assert.equal(l.msg, l.event);
    }
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
