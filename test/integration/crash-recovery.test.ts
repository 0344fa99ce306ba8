import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { createServices } from '../../src/daemon/services.js';
import { startSimulator, startStores, testConfig, TEST_API_KEY, TEST_ERASURE_KEY, XSD_PATH } from '../../support/pipeline.js';
import { sampleOrderInput } from '../../support/orders.js';
import { appendTestLog, testLogger } from '../../support/test-logs.js';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = resolve(import.meta.dirname, '../..');

function startDaemon(configPath: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run'], {
    cwd: ROOT,
    env: { ...process.env, PARTNERD_CONFIG: configPath, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => appendTestLog(d.toString()));
  child.stderr!.on('data', (d: Buffer) => appendTestLog(d.toString()));
  return child;
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
}

test('a worker process SIGKILLed in the middle of 1,000 orders: after restart at most one BRP order per key, every order confirmed or in-doubt', { timeout: 180_000 }, async (t) => {
  const stores = await startStores();
  const sim = await startSimulator({ latencyMs: 3, latencyJitterMs: 5 });
  t.after(async () => { await sim.close(); await stores.stop(); });

  const dir = mkdtempSync(join(tmpdir(), 'partnerd-crash-'));
  const configPath = join(dir, 'partnerd.yaml');
  writeFileSync(configPath, stringify({
    database: { url: stores.urls.database },
    redis: { url: stores.urls.redis, prefix: 'crash' },
    admin: { http: { host: '127.0.0.1', port: 0 } }, // never the machine's 8081
    xsdPath: XSD_PATH,
    queue: { lockDurationMs: 2_000, maxStalledCount: 10, keepCompletedSeconds: 600, reconcileIntervalMs: 1_000 },
    shutdownGraceMs: 10_000,
    retention: { erasureKey: TEST_ERASURE_KEY },
    tenants: {
      t1: {
        baseUrl: sim.baseUrl('t1'),
        apiKey: '${CRASH_TEST_API_KEY}',
        concurrency: 16,
        rateLimit: { max: 10_000, durationMs: 1_000 },
        timeouts: { connectMs: 1_000, responseMs: 3_000 },
        retry: { attempts: 5, baseDelayMs: 50, maxDelayMs: 500, jitter: 0.2 },
        inDoubtPolicy: 'hold',
      },
    },
  }));
  process.env.CRASH_TEST_API_KEY = TEST_API_KEY; // the secret reaches the child through the environment only

  // The test's own view: the intake (as an ingest path would use it) and the ledger.
  const { logger } = testLogger('warn');
  const base = testConfig(stores.urls, sim.baseUrl('t1'));
  const services = await createServices({ ...base, redis: { ...base.redis, prefix: 'crash' } }, logger, { schema: 'run' });
  t.after(() => services.close());

  const first = startDaemon(configPath);
  const N = 1000;
  const keys: string[] = [];
  // Orders keep arriving while the daemon works, as from a portal; the kill lands in the middle.
  const submitting = (async () => {
    for (let i = 0; i < N; i++) {
      const r = await services.intake.accept(sampleOrderInput(`K-${String(i).padStart(4, '0')}`));
      assert.equal(r.status, 'accepted');
      keys.push((r as { key: string }).key);
    }
  })();

  // Kill the worker mid-burst: some orders confirmed, some in flight, the rest still waiting.
  const deadline = Date.now() + 60_000;
  while (sim.stats().ordersCreated < 250) {
    if (Date.now() > deadline) assert.fail(`daemon did not get going (created ${sim.stats().ordersCreated})`);
    await sleep(5);
  }
  first.kill('SIGKILL');
  const killed = await exited(first);
  assert.equal(killed.signal, 'SIGKILL');
  const createdAtKill = sim.stats().ordersCreated;
  await submitting;
  assert.ok(createdAtKill < N * 0.75, `the kill came mid-burst (${createdAtKill} created)`);

  const second = startDaemon(configPath);
  t.after(() => { if (second.exitCode === null) second.kill('SIGKILL'); });

  const settleBy = Date.now() + 120_000;
  let states: Record<string, number> = {};
  for (;;) {
    states = {};
    for (const key of keys) {
      const s = (await services.ledger.get(key))?.state ?? 'missing';
      states[s] = (states[s] ?? 0) + 1;
    }
    if ((states.confirmed ?? 0) + (states.in_doubt ?? 0) === N) break;
    if (Date.now() > settleBy) assert.fail(`orders did not settle: ${JSON.stringify(states)}`);
    await sleep(500);
  }

  // At most one BRP order per key, and every confirmed key has exactly one.
  const perKey = new Map<string, number>();
  for (const o of sim.orders()) perKey.set(o.ordernr, (perKey.get(o.ordernr) ?? 0) + 1);
  const duplicated = [...perKey.entries()].filter(([, n]) => n > 1);
  assert.deepEqual(duplicated, [], 'no key was sent to BRP twice');
  for (const key of keys) {
    const rec = (await services.ledger.get(key))!;
    if (rec.state === 'confirmed') assert.equal(perKey.get(rec.ordernr), 1, `${key} confirmed with one BRP order`);
  }
  assert.ok((states.confirmed ?? 0) >= createdAtKill - 16 * 2, `most orders confirmed: ${JSON.stringify(states)}`);
  t.diagnostic(`created before kill: ${createdAtKill}; final: ${JSON.stringify(states)}; BRP orders: ${sim.orders().length}`);

  // The restarted daemon shuts down cleanly on SIGTERM.
  second.kill('SIGTERM');
  const stopped = await exited(second);
  assert.equal(stopped.code, 0);
});
