import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres, type PrivatePostgres } from '../../support/private-postgres.js';
import { freePort, startRedis, type PrivateRedis } from '../../support/private-redis.js';
import { EVENTS } from '../../src/observability/events.js';
import { sampleOrderInput, TEST_PERSONAL_VALUES } from '../../support/orders.js';
import { buildImage, containerStderr, driveHealthchecks, engineFromEnv, httpStatus, IMAGE, imageBytes, inspect, mb, must, removeContainers, run, runtimeBaseImage, waitFor, type Engine } from './support/engine.js';
import { futureDay, report } from './support/report.js';

/**
 * The image's smoke test (`npm run test:container`): builds the project's Dockerfile, unchanged,
 * with the engine from the environment, and runs what an operator runs: the daemon, the BRP
 * simulator, one-off CLI containers and `exec`. It reports the measured goals of the image.
 *
 * PostgreSQL and Redis are private servers on this machine (support/private-*.ts), reached over
 * the host network: this test is about partnerd's image, they start in a second, and the compose
 * test runs the stores' images.
 */
const SIM_LATENCY_MS = 4000;
const MAX_ADDED_BYTES = 50e6;

let engine: Engine;
let redis: PrivateRedis;
let postgres: PrivatePostgres;
let adminPort: number;
let simPort: number;
const names = { sim: `pd-ct-sim-${process.pid}`, daemon: `pd-ct-daemon-${process.pid}`, daemon2: `pd-ct-daemon2-${process.pid}` };
const figures: Record<string, string> = {};

/** The environment every partnerd container of this test gets (the config is the image's own). */
function env(): string[] {
  const vars = {
    DATABASE_URL: postgres.url,
    REDIS_URL: redis.url,
    BRP_SANDBOX_URL: `http://127.0.0.1:${simPort}/sandbox/`,
    BRP_SANDBOX_API_KEY: 'sandbox-key',
    PARTNERD_ERASURE_KEY: 'container-test-erasure-key-0123456789abcdef',
    ADMIN_HTTP_PORT: String(adminPort),
  };
  return Object.entries(vars).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
}

/** `docker exec <daemon> partnerd …`, as an operator types it. */
function exec(name: string, args: string[], input?: string) {
  return run(engine.cmd, ['exec', ...(input !== undefined ? ['-i'] : []), name, 'partnerd', ...args], { input, timeoutMs: 60_000 });
}

async function orderState(name: string, key: string): Promise<Record<string, unknown> | undefined> {
  const r = await exec(name, ['orders', '--json']);
  if (r.status !== 0) return undefined;
  return (JSON.parse(r.stdout) as { orders: Array<Record<string, unknown>> }).orders.find((o) => o.key === key);
}

async function startDaemon(name: string): Promise<{ runToReadyMs: number; processToReadyMs: number }> {
  const t0 = Date.now();
  await must(engine.cmd, ['run', '-d', '--name', name, ...engine.runFlags, ...env(), IMAGE]);
  const ready = await waitFor('/readyz to answer 200', async () => ((await httpStatus(`http://127.0.0.1:${adminPort}/readyz`)) === 200 ? Date.now() : undefined), 60_000, 25);
  const startedAt = Date.parse(await inspect<string>(engine, 'container', name, '.State.StartedAt'));
  return { runToReadyMs: ready - t0, processToReadyMs: ready - startedAt };
}

/** SIGTERM, then how long until the process exited (the engine's own exit time) and its code. */
async function sigterm(name: string): Promise<{ ms: number; exitCode: number }> {
  const t0 = Date.now();
  await must(engine.cmd, ['kill', '--signal', 'TERM', name]);
  await must(engine.cmd, ['wait', name], { timeoutMs: 120_000 });
  const state = await inspect<{ ExitCode: number; FinishedAt: string }>(engine, 'container', name, '.State');
  return { ms: Date.parse(state.FinishedAt) - t0, exitCode: state.ExitCode };
}

function order(ordernr: string) {
  return sampleOrderInput(ordernr, { tenant: 'sandbox', items: [{ productNumber: '1001', startDay: futureDay(7), priceIncVat: '2500.00' }] });
}

before(async () => {
  engine = engineFromEnv();
  const build = await buildImage(engine);
  figures['image build (layer cache as found)'] = `${build.seconds.toFixed(1)} s`;
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  [adminPort, simPort] = [await freePort(), await freePort()];
  await must(engine.cmd, ['run', '-d', '--name', names.sim, ...engine.runFlags, '-e', 'BRP_SIM_HOST=127.0.0.1', IMAGE,
    'simulate-brp', '--port', String(simPort), '--latency-ms', String(SIM_LATENCY_MS)]);
  await waitFor('the simulator', async () => (await httpStatus(`http://127.0.0.1:${simPort}/_sim/stats`)) === 200, 60_000);
});

after(async () => {
  if (engine) await removeContainers(engine, Object.values(names));
  await Promise.all([redis?.stop(), postgres?.destroy()]);
  report('partnerd image (test/container/image.container.ts)', figures);
});

describe('the partnerd image', { concurrency: false }, () => {
  test('adds at most 50 MB to its base image; runs as a non-root user; has a HEALTHCHECK on /readyz and the CLI on the PATH', async () => {
    const base = runtimeBaseImage();
    const [size, baseSize] = [await imageBytes(engine, IMAGE), await imageBytes(engine, base)];
    figures['image size'] = mb(size);
    figures[`base image (${base})`] = mb(baseSize);
    figures['added by partnerd (goal ≤ 50 MB)'] = mb(size - baseSize);
    assert.ok(size - baseSize <= MAX_ADDED_BYTES, `partnerd adds ${mb(size - baseSize)} to ${base}`);

    assert.equal(await inspect(engine, 'image', IMAGE, '.Config.User'), 'node');
    const id = await must(engine.cmd, ['run', '--rm', ...engine.runFlags, '--entrypoint', 'id', IMAGE]);
    assert.match(id.stdout, /^uid=1000\(node\) gid=1000\(node\)/);
    const health = await inspect<{ Test: string[] } | null>(engine, 'image', IMAGE, '.Config.Healthcheck');
    assert.deepEqual(health?.Test, ['CMD', 'node', '/app/bin/healthcheck.js']);
    const help = await must(engine.cmd, ['run', '--rm', ...engine.runFlags, '--entrypoint', 'partnerd', IMAGE, '--help']);
    assert.match(help.stdout, /submit <file>/);
  });

  test('cold start: the daemon migrates a new ledger and is ready within 5 s; the image\'s own health check says healthy', async () => {
    const start = await startDaemon(names.daemon);
    figures['cold start to ready (goal ≤ 5 s): from `run`'] = `${start.runToReadyMs} ms`;
    figures['cold start to ready: from the process start'] = `${start.processToReadyMs} ms`;
    assert.ok(start.runToReadyMs <= 5000, `ready ${start.runToReadyMs} ms after \`run\``);
    assert.equal(await httpStatus(`http://127.0.0.1:${adminPort}/healthz`), 200);
    // The console's login page: views, the session cookie and CSRF all load in the pruned image.
    const login = await fetch(`http://127.0.0.1:${adminPort}/console/login`);
    assert.equal(login.status, 200);
    assert.match(await login.text(), /<form[^>]*method="post"/i);
    assert.match(login.headers.get('set-cookie') ?? '', /./, 'the login page sets its session/CSRF cookie');

    // The HEALTHCHECK, run the way the engine runs it (podman: nothing runs it here unless asked).
    const loop = driveHealthchecks(engine, async () => [names.daemon], 500, 60_000);
    try {
      const status = await waitFor('the container to be healthy', async () => {
        const s = await inspect<{ Status: string } | null>(engine, 'container', names.daemon, '.State.Health');
        return s?.Status === 'healthy' ? s.Status : undefined;
      }, 60_000, 250);
      assert.equal(status, 'healthy');
    } finally {
      await loop.stop();
    }
    const top = await must(engine.cmd, ['exec', names.daemon, 'id', '-u']);
    assert.equal(top.stdout.trim(), '1000', 'the daemon runs as node');
  });

  test('one order end to end: `submit -` from stdin in a one-off container, confirmed by the simulator; `status` and `orders` by exec', async () => {
    const input = JSON.stringify(order('CT-1'));
    const submit = await must(engine.cmd, ['run', '--rm', '-i', ...engine.runFlags, ...env(), IMAGE, 'submit', '-'], { input });
    assert.equal(submit.stdout, '#0 accepted sandbox:benify:CT-1\n');

    const confirmed = await waitFor('CT-1 confirmed', async () => {
      const o = await orderState(names.daemon, 'sandbox:benify:CT-1');
      return o?.state === 'confirmed' ? o : undefined;
    }, 60_000, 500);
    assert.match(String(confirmed.brpOrderNumber), /^\d+$/);
    assert.ok(confirmed.invoiceNumber, 'the invoice number is recorded');

    const status = await exec(names.daemon, ['status', '--json']);
    assert.equal(status.status, 0, status.stderr);
    const counts = JSON.parse(status.stdout) as { orders: Record<string, number>; tenants: Array<{ tenant: string }> };
    assert.equal(counts.orders.confirmed, 1);
    assert.deepEqual(counts.tenants.map((t) => t.tenant), ['sandbox']);

    const sim = (await (await fetch(`http://127.0.0.1:${simPort}/_sim/orders?ordernr=CT-1`)).json()) as unknown[];
    assert.equal(sim.length, 1, 'BRP (the simulator) has the order once');

    // A broken input is one line and exit 2, in a one-off container too.
    const broken = await run(engine.cmd, ['run', '--rm', '-i', ...engine.runFlags, ...env(), IMAGE, 'submit', '-'], { input: '{"portal": ' });
    assert.equal(broken.status, 2);
    assert.match(containerStderr(broken), /^partnerd: order failed validation: standard input is not valid JSON[^\n]*\n$/);
  });

  test('SIGTERM with a BRP call in flight: the call finishes and is recorded, the process exits 0 within in-flight + 1 s', async () => {
    const submit = await exec(names.daemon, ['submit', '-'], JSON.stringify(order('CT-2')));
    assert.equal(submit.stdout, '#0 accepted sandbox:benify:CT-2\n', submit.stderr);
    // The call is in flight once the attempt is open; the simulator answers SIM_LATENCY_MS after the request.
    const seen = await waitFor('CT-2 submitting', async () => ((await orderState(names.daemon, 'sandbox:benify:CT-2'))?.state === 'submitting' ? Date.now() : undefined), 20_000, 50);
    const killAt = Date.now();
    const inFlightAtMostMs = seen + SIM_LATENCY_MS - killAt;
    assert.ok(inFlightAtMostMs > 0, 'the call was still in flight when SIGTERM was sent');
    const stop = await sigterm(names.daemon);
    figures['SIGTERM to exit with a call in flight (goal ≤ in-flight + 1 s)'] = `${stop.ms} ms (in flight for at most ${inFlightAtMostMs} ms more)`;
    assert.equal(stop.exitCode, 0);
    assert.ok(stop.ms <= inFlightAtMostMs + 1000, `exited ${stop.ms} ms after SIGTERM; the call had at most ${inFlightAtMostMs} ms to go`);

    const list = await must(engine.cmd, ['run', '--rm', ...engine.runFlags, ...env(), IMAGE, 'orders', '--json']);
    const ct2 = (JSON.parse(list.stdout) as { orders: Array<{ key: string; state: string }> }).orders.find((o) => o.key === 'sandbox:benify:CT-2');
    assert.equal(ct2?.state, 'confirmed', 'the answer was recorded before the process exited');
  });

  test('SIGTERM when idle: exit 0 within 1 s; every log line is a catalogued JSON event without personal data', async () => {
    const start = await startDaemon(names.daemon2);
    figures['warm start to ready (ledger migrated): from `run`'] = `${start.runToReadyMs} ms`;
    const stop = await sigterm(names.daemon2);
    figures['SIGTERM to exit when idle (goal ≤ 1 s)'] = `${stop.ms} ms`;
    assert.equal(stop.exitCode, 0);
    assert.ok(stop.ms <= 1000, `exited ${stop.ms} ms after SIGTERM`);

    const lines: string[] = [];
    for (const name of [names.daemon, names.daemon2]) {
      const logs = await must(engine.cmd, ['logs', name]);
      assert.equal(logs.stderr, '', 'nothing on stderr');
      lines.push(...logs.stdout.split('\n').filter(Boolean));
    }
    const events = lines.map((l) => (JSON.parse(l) as { event: string }).event);
    for (const e of events) assert.ok(e in EVENTS, `${e} is in the catalogue`);
    for (const e of ['daemon.started', 'order.confirmed', 'daemon.stopping', 'daemon.stopped']) assert.ok(events.includes(e), `${e} was logged`);
    const started = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === 'daemon.started')!;
    assert.deepEqual(started.portals, [], 'no portal is on without its variables');
    assert.deepEqual(started.portalsOff, ['benify', 'actiway', 'wellnet', 'epassi', 'sop']);
    for (const needle of [...TEST_PERSONAL_VALUES, 'sandbox-key']) {
      assert.equal(lines.find((l) => l.includes(needle)), undefined, `no log line contains ${needle}`);
    }
  });
});
