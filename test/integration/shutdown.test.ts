import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { freePort } from '../../support/private-redis.js';
import { events, startPipeline, startSimulator, startStores, testConfig, TEST_API_KEY, TEST_ERASURE_KEY, XSD_PATH, type Stores } from '../../support/pipeline.js';
import { createServices } from '../../src/daemon/services.js';
import { sampleOrderInput } from '../../support/orders.js';
import { appendTestLog, testLogger } from '../../support/test-logs.js';

/**
 * A daemon told to stop must stop, whatever its stores do: an orchestrator that waits for it
 * holds up a deploy, and one that gives up kills it anyway. Here Redis hangs (SIGSTOP: the
 * connections stay open and nothing answers, as with a dead network path) when the daemon is
 * told to stop. Calls still in flight were recorded as open attempts before they were sent, so
 * abandoning them is safe: the next run finds them in doubt.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const GRACE_MS = 1_000;
/** Far beyond the grace period and the daemon's bounded close steps; only a hang reaches it. */
const HANG_MS = 45_000;

let stores: Stores;
before(async () => { stores = await startStores(); });
after(async () => {
  stores.redis.thaw();
  await stores.stop();
});

describe('shutdown while Redis hangs', { concurrency: false }, () => {
  test('daemon.stop() and services.close() finish, and say which part did not close in time', async () => {
    const p = await startPipeline({ stores, extra: { shutdownGraceMs: GRACE_MS } });
    try {
      const r = await p.services.intake.accept(sampleOrderInput('SD-1'));
      assert.equal(r.status, 'accepted');
      await p.waitForState((r as { key: string }).key, 'confirmed');
      stores.redis.freeze();
      const outcome = await Promise.race([
        p.daemon.stop('SIGTERM').then(() => p.services.close()).then(() => 'stopped' as const),
        sleep(HANG_MS).then(() => 'hung' as const),
      ]);
      assert.equal(outcome, 'stopped', 'stop() and close() returned');
      assert.equal(events(p.lines, 'daemon.stopped').length, 1);
      assert.ok(events(p.lines, 'daemon.close_stuck').length >= 1, 'the part that did not close in time is named');
    } finally {
      stores.redis.thaw();
      await p.sim.close();
    }
  });

  test('`partnerd run` exits on SIGTERM while Redis hangs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'partnerd-shutdown-'));
    const sim = await startSimulator({});
    try {
      const adminPort = await freePort();
      const configPath = join(dir, 'partnerd.yaml');
      writeFileSync(configPath, stringify({
        database: { url: stores.urls.database },
        redis: { url: stores.urls.redis, prefix: 'sd' },
        retention: { erasureKey: TEST_ERASURE_KEY },
        xsdPath: XSD_PATH,
        shutdownGraceMs: GRACE_MS,
        tenants: { t1: { baseUrl: sim.baseUrl('t1'), apiKey: '${SD_TEST_API_KEY}' } },
        ingest: { http: { enabled: false } },
        admin: { http: { host: '127.0.0.1', port: adminPort } },
      }));
      const daemon = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run'], {
        cwd: ROOT,
        env: { ...process.env, PARTNERD_CONFIG: configPath, SD_TEST_API_KEY: TEST_API_KEY, LOG_LEVEL: 'info', REDIS_URL: '', ADMIN_HTTP_HOST: '', ADMIN_HTTP_PORT: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      daemon.stdout!.on('data', (d: Buffer) => { out += d.toString(); appendTestLog(d.toString()); });
      daemon.stderr!.on('data', (d: Buffer) => appendTestLog(d.toString()));
      const exited = new Promise<number | null>((r) => daemon.once('exit', (code) => r(code)));
      try {
        const deadline = Date.now() + 60_000;
        while (!out.includes('"event":"daemon.started"')) {
          if (Date.now() > deadline || daemon.exitCode !== null) throw new Error(`the daemon did not start:\n${out.slice(-2000)}`);
          await sleep(100);
        }
        stores.redis.freeze();
        daemon.kill('SIGTERM');
        const code = await Promise.race([exited, sleep(HANG_MS).then(() => 'hung' as const)]);
        assert.notEqual(code, 'hung', `the daemon did not exit:\n${out.slice(-3000)}`);
        assert.match(out, /"event":"daemon\.stopped"/);
      } finally {
        if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
        stores.redis.thaw();
      }
    } finally {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('services.close() when Redis is already gone: no client is left reconnecting (it would keep a CLI process alive)', async () => {
  const own = await startStores();
  try {
    const { logger } = testLogger('warn');
    const services = await createServices(testConfig(own.urls, 'http://127.0.0.1:9/'), logger, { schema: 'run' });
    await own.redis.stop();
    await services.close();
    // ioredis retries at most 2 s apart: a client left reconnecting schedules a retry in this window.
    let retries = 0;
    services.redis.on('reconnecting', () => retries++);
    await sleep(2_500);
    assert.equal(retries, 0, 'the command connection went on reconnecting after close()');
  } finally {
    await own.stop();
  }
});
