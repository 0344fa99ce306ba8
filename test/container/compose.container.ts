import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/private-redis.js';
import { stockholmDateOf } from '../../src/domain/stockholm-date.js';
import { EVENTS } from '../../src/observability/events.js';
import { sampleOrderInput, TEST_PERSONAL_VALUES } from '../../support/orders.js';
import { hostNetworkVariant, NOT_RUN_HERE, type VariantPorts } from './support/compose-variant.js';
import { buildImage, driveHealthchecks, engineFromEnv, ensureStandin, IMAGE, inspect, must, ROOT, run, waitFor, type Engine } from './support/engine.js';
import { futureDay, report } from './support/report.js';

/** The erasure key of the test deployment (a secret file, like every secret of the compose file). */
const ERASURE_KEY = `erasure-${randomBytes(24).toString('hex')}`;

/**
 * The compose test (`npm run test:container`): docker-compose 1.29 over the engine's Docker API
 * (podman's, started here) runs the project's docker-compose.yml in its host-network variant
 * (support/compose-variant.ts says what that changes and why), as an operator would:
 *
 * 1. the quick start: PostgreSQL + Redis + partnerd + the sandbox profile's simulator with only a
 *    tenant's key and the database password as secret files, every portal off; `exec … status`;
 *    `exec … migrate`; an order through `exec … submit -` confirmed by the simulator;
 * 2. the sop profile: S&P switched on, an SFTP server on the S&P volume with key-only login; a
 *    file uploaded over SFTP is scanned and its order confirmed, the receipts file fetched back;
 * 3. backup and restore of PostgreSQL and Redis with the README's commands;
 * 4. `stop` (partnerd exits 0 within its grace period) and `down -v` (nothing left behind).
 *
 * Images that are not on this machine and cannot be pulled get a local stand-in built from
 * test/container/standins/ (PostgreSQL, the SFTP server); Redis' stand-in comes from the engine's
 * preparation. The tls and observability profiles are not run (see NOT_RUN_HERE).
 */
const PROJECT = `pdct${process.pid}`;
const figures: Record<string, string> = {};

let engine: Engine;
let dir: string;
let ports: VariantPorts;
let composeEnv: NodeJS.ProcessEnv;
let service: ChildProcess | undefined;
let health: { stop(): Promise<void> } | undefined;
const profiles = ['--profile', 'sandbox'];

function compose(args: string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  return run('docker-compose', ['-p', PROJECT, '-f', join(dir, 'docker-compose.host.yml'), '--project-directory', ROOT, '--env-file', join(dir, 'empty.env'), ...profiles, ...args], {
    input: options.input, env: { ...composeEnv, ...options.env }, timeoutMs: options.timeoutMs ?? 120_000,
  });
}

/** `docker compose exec partnerd partnerd …`, as the README says. */
async function partnerd(args: string[], input?: string, env?: NodeJS.ProcessEnv) {
  return compose(['exec', '-T', 'partnerd', 'partnerd', ...args], { input, env });
}

async function containers(): Promise<string[]> {
  const r = await run(engine.cmd, ['ps', '-a', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--format', '{{.Names}}']);
  return r.stdout.split('\n').filter(Boolean);
}

async function containerOf(svc: string): Promise<string> {
  const r = await must(engine.cmd, ['ps', '-a', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--filter', `label=com.docker.compose.service=${svc}`, '--format', '{{.Names}}']);
  const name = r.stdout.trim().split('\n')[0];
  assert.ok(name, `a container for ${svc}`);
  return name;
}

async function up(env?: NodeJS.ProcessEnv): Promise<number> {
  const r = await compose(['up', '-d', '--no-build'], { env, timeoutMs: 300_000 });
  assert.equal(r.status, 0, `compose up: ${r.stderr}`);
  return r.ms;
}

async function waitHealthy(svc: string): Promise<void> {
  const name = await containerOf(svc);
  await waitFor(`${svc} healthy`, async () => (await inspect<{ Status: string } | null>(engine, 'container', name, '.State.Health'))?.Status === 'healthy', 120_000, 500);
}

async function orderState(key: string): Promise<Record<string, unknown> | undefined> {
  const r = await partnerd(['orders', '--json']);
  if (r.status !== 0) return undefined;
  return (JSON.parse(r.stdout) as { orders: Array<Record<string, unknown>> }).orders.find((o) => o.key === key);
}

async function waitConfirmed(key: string): Promise<Record<string, unknown>> {
  return waitFor(`${key} confirmed`, async () => {
    const o = await orderState(key);
    return o?.state === 'confirmed' ? o : undefined;
  }, 90_000, 1000);
}

/** partnerd's log lines through `docker compose logs` (prefix `partnerd_1  | ` removed), parsed. */
async function partnerdLog(): Promise<Array<Record<string, unknown>>> {
  const r = await compose(['logs', '--no-color', 'partnerd']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n').map((l) => l.replace(/^\S+\s+\|\s?/, '')).filter((l) => l.startsWith('{'));
  for (const needle of [...TEST_PERSONAL_VALUES, 'sandbox-key']) assert.equal(lines.find((l) => l.includes(needle)), undefined, `no log line contains ${needle}`);
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

function sftp(batch: string, options: { key?: string; extra?: string[] } = {}) {
  const batchFile = join(dir, 'sftp.batch');
  writeFileSync(batchFile, batch);
  const auth = options.key ? ['-i', options.key, '-o', 'IdentitiesOnly=yes'] : ['-o', 'PubkeyAuthentication=no'];
  return run('sftp', ['-b', batchFile, '-P', String(ports.sftp), ...auth, '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
    '-o', 'StrictHostKeyChecking=yes', '-o', 'HostKeyAlgorithms=ssh-ed25519', ...(options.extra ?? []), 'sop@127.0.0.1'], { cwd: dir, timeoutMs: 60_000 });
}

function canonicalOrder(ordernr: string) {
  return sampleOrderInput(ordernr, { tenant: 'sandbox', items: [{ productNumber: '1001', startDay: futureDay(7), priceIncVat: '2500.00' }] });
}

before(async () => {
  engine = engineFromEnv();
  assert.equal((await run('docker-compose', ['version'])).status, 0, 'docker-compose is installed (../shared/container/prepare-engine.sh installs 1.29)');
  dir = mkdtempSync(join(tmpdir(), 'partnerd-compose-'));
  chmodSync(dir, 0o755);

  const build = await buildImage(engine);
  figures['image build (layer cache)'] = `${build.seconds.toFixed(1)} s`;
  for (const [tag, standin] of [['docker.io/library/postgres:15-bookworm', 'postgres'], ['docker.io/atmoz/sftp:debian', 'sftp']] as const) {
    figures[`${tag}`] = await ensureStandin(engine, tag, standin);
  }

  // The Docker API: podman's service on a socket of this test's own (stopped in after()).
  let dockerHost = process.env.DOCKER_HOST;
  if (/(^|\/)podman$/.test(engine.cmd)) {
    const socket = join(dir, 'podman.sock');
    service = spawn(engine.cmd, ['system', 'service', '--time=0', `unix://${socket}`], { stdio: 'ignore' });
    await waitFor('podman\'s Docker API', async () => existsSync(socket), 30_000);
    dockerHost = `unix://${socket}`;
  }

  ports = { postgres: await freePort(), redis: await freePort(), simulator: await freePort(), admin: await freePort(), sftp: await freePort() };
  writeFileSync(join(dir, 'docker-compose.host.yml'), hostNetworkVariant(IMAGE, ports));
  writeFileSync(join(dir, 'empty.env'), '');

  // Secret files, as the README's quick start makes them: readable by the containers' users.
  const secret = (name: string, value: string) => {
    writeFileSync(join(dir, name), `${value}\n`, { mode: 0o644 });
    return join(dir, name);
  };
  const dbPassword = `db-${process.pid}-${Date.now().toString(36)}`;
  // The sop profile's keys: the SFTP server's host key (pinned in known_hosts) and S&P's key pair.
  await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'sftp-host', '-f', join(dir, 'sftp_host_ed25519_key')]);
  await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'sop-client', '-f', join(dir, 'sop_client')]);
  await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'stranger', '-f', join(dir, 'stranger')]);
  chmodSync(join(dir, 'sftp_host_ed25519_key'), 0o600);
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${ports.sftp} ${readFileSync(join(dir, 'sftp_host_ed25519_key.pub'), 'utf8')}`);
  composeEnv = {
    ...process.env,
    DOCKER_HOST: dockerHost,
    POSTGRES_PASSWORD_FILE: secret('postgres_password', dbPassword),
    BRP_SANDBOX_API_KEY_FILE: secret('brp_sandbox_api_key', 'sandbox-key'),
    PARTNERD_ERASURE_KEY_FILE: secret('partnerd_erasure_key', ERASURE_KEY),
    BRP_SANDBOX_URL: `http://127.0.0.1:${ports.simulator}/sandbox/`,
    SOP_AUTHORIZED_KEYS: join(dir, 'sop_client.pub'),
    SFTP_HOST_KEY_FILE: join(dir, 'sftp_host_ed25519_key'),
    DB_PASSWORD_FOR_TEST: dbPassword,
  };
  health = driveHealthchecks(engine, containers, 2000, 900_000);
});

after(async () => {
  await health?.stop();
  if (composeEnv) {
    await compose(['--profile', 'sop', 'down', '-v', '--remove-orphans', '-t', '5'], { timeoutMs: 180_000 }).catch(() => undefined);
    // Whatever compose could not remove (a failed run) goes too.
    for (const name of await containers().catch(() => [])) await run(engine.cmd, ['rm', '-f', '-t', '0', name]);
  }
  service?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
  report('docker-compose.yml (test/container/compose.container.ts)', figures);
});

describe('docker-compose.yml, run as the README says', { concurrency: false }, () => {
  test('quick start: PostgreSQL, Redis, partnerd and the simulator come up healthy with a tenant key and the database password only', async () => {
    const ms = await up();
    figures['`up -d` (sandbox profile) until partnerd started'] = `${(ms / 1000).toFixed(1)} s`;
    await waitHealthy('partnerd');
    await waitHealthy('brp-simulator');

    const status = await partnerd(['status', '--json']);
    assert.equal(status.status, 0, status.stderr);
    const counts = JSON.parse(status.stdout) as { orders: Record<string, number>; tenants: Array<{ tenant: string; paused: unknown }> };
    assert.deepEqual(counts.tenants.map((t) => t.tenant), ['sandbox']);

    const started = (await partnerdLog()).find((l) => l.event === 'daemon.started');
    assert.deepEqual(started?.portals, [], 'every portal is off');
    assert.deepEqual(started?.portalsOff, ['benify', 'actiway', 'wellnet', 'epassi', 'sop']);

    // `partnerd migrate` with compose's config and secrets (the daemon migrated at start). The
    // README's `docker compose run --rm partnerd migrate` cannot run here: docker-compose 1.29
    // links a one-off container to its service, and podman's Docker API refuses links.
    const migrate = await partnerd(['migrate']);
    assert.equal(migrate.status, 0, migrate.stderr);
    assert.equal(migrate.stdout, 'schema is up to date\n');

    // Secrets are files under /run/secrets, never in the environment.
    const env = await compose(['exec', '-T', 'partnerd', 'env']);
    assert.equal(env.status, 0, env.stderr);
    assert.doesNotMatch(env.stdout, new RegExp(composeEnv.DB_PASSWORD_FOR_TEST!), 'the database password is not in the environment');
    assert.doesNotMatch(env.stdout, /sandbox-key/);
    const secrets = await compose(['exec', '-T', 'partnerd', 'ls', '/run/secrets']);
    assert.deepEqual(secrets.stdout.split('\n').filter(Boolean).sort(),
      ['actiway_password', 'benify_previous_secret', 'benify_secret', 'brp_sandbox_api_key', 'epassi_client_secret', 'partnerd_erasure_key', 'postgres_password', 'wellnet_token']);
    assert.doesNotMatch(env.stdout, new RegExp(ERASURE_KEY), 'the erasure key is not in the environment');

    // Logs: json-file, rotated.
    const logConfig = await inspect<{ Type: string; Config?: Record<string, string> | null; Size?: string }>(engine, 'container', await containerOf('partnerd'), '.HostConfig.LogConfig');
    assert.equal(logConfig.Type, 'json-file');
    assert.ok(logConfig.Config?.['max-size'] === '10m' || logConfig.Size === '10MB', `max-size kept: ${JSON.stringify(logConfig)}`);
    figures['partnerd log driver as the engine applied it'] = JSON.stringify(logConfig);
  });

  test('an order through `exec … submit -` is confirmed by the sandbox profile\'s simulator', async () => {
    const submit = await partnerd(['submit', '-'], JSON.stringify(canonicalOrder('CC-1')));
    assert.equal(submit.status, 0, submit.stderr);
    assert.equal(submit.stdout, '#0 accepted sandbox:benify:CC-1\n');
    const confirmed = await waitConfirmed('sandbox:benify:CC-1');
    assert.match(String(confirmed.brpOrderNumber), /^\d+$/);
    const sim = (await (await fetch(`http://127.0.0.1:${ports.simulator}/_sim/orders?ordernr=CC-1`)).json()) as unknown[];
    assert.equal(sim.length, 1);
  });

  test('sop profile: S&P on, an SFTP upload with S&P\'s key is scanned and confirmed; receipts come back over SFTP; no login without the key', async () => {
    profiles.push('--profile', 'sop');
    await up({ SOP_ENABLED: 'true' });
    await waitHealthy('partnerd');
    const started = (await partnerdLog()).filter((l) => l.event === 'daemon.started').at(-1);
    assert.deepEqual(started?.portals, ['sop']);
    await waitFor('the SFTP server', async () => (await sftp('ls\n', { key: join(dir, 'sop_client') })).status === 0, 60_000, 500);

    const [header, row] = readFileSync(join(ROOT, 'examples/portals/sop-orders.csv'), 'utf8').split('\n');
    const file = [header, row!.replace('SP-100045', 'SP-CC-1').replace(/2026-11-20/, stockholmDateOf(new Date())).replace('2026-12-01', futureDay(7))].join('\r\n') + '\r\n';
    writeFileSync(join(dir, 'orders-cc.csv'), file);
    // As S&P uploads: under a .part name, renamed when complete.
    const upload = await sftp('cd sop/inbox\nput orders-cc.csv orders-cc.csv.part\nrename orders-cc.csv.part orders-cc.csv\n', { key: join(dir, 'sop_client') });
    assert.equal(upload.status, 0, upload.stderr);

    // Scan now (the daemon's own schedule, every 5 minutes, may have been quicker).
    const scan = await partnerd(['scan', 'sop']);
    assert.equal(scan.status, 0, scan.stderr);
    assert.match(scan.stdout, /^(orders-cc\.csv: \w+ \(1 orders: 1 accepted|inbox empty$)/m);
    await waitConfirmed('sandbox:sop:SP-CC-1');
    const archived = await sftp(`ls sop/archive/${stockholmDateOf(new Date())}\n`, { key: join(dir, 'sop_client') });
    assert.match(archived.stdout, /orders-cc\.csv/, 'the file was taken in and archived');

    const receipts = await partnerd(['receipts', 'sop', '--date', stockholmDateOf(new Date())]);
    assert.equal(receipts.status, 0, receipts.stderr);
    const name = receipts.stdout.trim().split('/').at(-1)!;
    const fetched = await sftp(`get sop/outbox/${name} receipts.csv\n`, { key: join(dir, 'sop_client') });
    assert.equal(fetched.status, 0, fetched.stderr);
    assert.match(readFileSync(join(dir, 'receipts.csv'), 'utf8'), /SP-CC-1/);

    const noKey = await sftp('ls\n');
    assert.notEqual(noKey.status, 0, 'no password login');
    assert.match(noKey.stderr, /Permission denied/);
    const otherKey = await sftp('ls\n', { key: join(dir, 'stranger') });
    assert.notEqual(otherKey.status, 0, 'only S&P\'s key');
    const shell = await run('ssh', ['-p', String(ports.sftp), '-i', join(dir, 'sop_client'), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
      '-o', `UserKnownHostsFile=${join(dir, 'known_hosts')}`, '-o', 'StrictHostKeyChecking=yes', 'sop@127.0.0.1', 'id'], { timeoutMs: 30_000 });
    assert.doesNotMatch(shell.stdout, /uid=/, 'SFTP only: no shell');
  });

  test('backup and restore as the README says: pg_dump and pg_restore inside compose; the Redis volume copied with Redis stopped', async () => {
    const dump = await compose(['exec', '-T', 'postgres', 'pg_dump', '-U', 'partnerd', '-d', 'partnerd', '-Fc']);
    assert.equal(dump.status, 0, dump.stderr);
    assert.equal(dump.stdoutBytes.subarray(0, 5).toString('latin1'), 'PGDMP', 'a custom-format archive');
    figures['pg_dump -Fc of the test ledger'] = `${dump.stdoutBytes.length} bytes`;
    // An order after the dump: the restore takes it away again.
    assert.equal((await partnerd(['submit', '-'], JSON.stringify(canonicalOrder('CC-2')))).stdout, '#0 accepted sandbox:benify:CC-2\n');
    await waitConfirmed('sandbox:benify:CC-2');

    const redisCli = (...args: string[]) => compose(['exec', '-T', 'redis', 'redis-cli', '-p', String(ports.redis), ...args]);
    assert.equal((await redisCli('set', 'partnerd-backup-probe', 'in-the-backup')).stdout.trim(), 'OK');
    const redisId = (await compose(['ps', '-a', '-q', 'redis'])).stdout.trim();
    assert.match(redisId, /^[0-9a-f]{12,}$/);
    const volumeCopy = (script: string) => must(engine.cmd, ['run', '--rm', ...engine.runFlags, '--volumes-from', redisId, '-v', `${dir}:/backup`, 'redis:7.4-bookworm', 'sh', '-c', script]);
    assert.equal((await compose(['stop', 'redis'])).status, 0);
    await volumeCopy('tar -C /data -czf /backup/redis.tgz .');
    assert.equal((await compose(['start', 'redis'])).status, 0);
    await waitFor('Redis', async () => (await redisCli('ping')).stdout.trim() === 'PONG', 30_000, 500);
    await redisCli('set', 'partnerd-backup-probe', 'after-the-backup');

    assert.equal((await compose(['stop', 'partnerd'])).status, 0);
    const restore = await compose(['exec', '-T', 'postgres', 'pg_restore', '-U', 'partnerd', '-d', 'partnerd', '--clean', '--if-exists', '--single-transaction'], { input: dump.stdoutBytes });
    assert.equal(restore.status, 0, restore.stderr);
    assert.equal((await compose(['stop', 'redis'])).status, 0);
    await volumeCopy('rm -rf /data/* && tar -C /data -xzf /backup/redis.tgz');
    assert.equal((await compose(['start', 'redis', 'partnerd'])).status, 0);
    await waitFor('partnerd ready after the restore', async () => (await compose(['exec', '-T', 'partnerd', 'node', '/app/bin/healthcheck.js'])).status === 0, 120_000, 1000);

    assert.equal((await redisCli('get', 'partnerd-backup-probe')).stdout.trim(), 'in-the-backup');
    assert.equal((await orderState('sandbox:benify:CC-1'))?.state, 'confirmed');
    assert.equal((await orderState('sandbox:sop:SP-CC-1'))?.state, 'confirmed');
    assert.equal(await orderState('sandbox:benify:CC-2'), undefined, 'the ledger is the dump\'s');
  });

  test('stop: partnerd exits 0 within its grace period, logging only catalogued events; down -v leaves nothing behind', async () => {
    const daemon = await containerOf('partnerd');
    const stop = await compose(['stop'], { timeoutMs: 180_000 });
    assert.equal(stop.status, 0, stop.stderr);
    figures['`stop` (every service)'] = `${(stop.ms / 1000).toFixed(1)} s`;
    const state = await inspect<{ ExitCode: number; Status: string }>(engine, 'container', daemon, '.State');
    assert.equal(state.ExitCode, 0, 'a clean exit, not SIGKILL after stop_grace_period');
    const log = await partnerdLog();
    for (const l of log) assert.ok(String(l.event) in EVENTS, `${String(l.event)} is catalogued`);
    const count = (event: string) => log.filter((l) => l.event === event).length;
    assert.ok(count('daemon.started') >= 1);
    assert.equal(count('daemon.stopped'), count('daemon.started'), 'every start of the container ended in a clean stop');

    const down = await compose(['down', '-v', '--remove-orphans'], { timeoutMs: 180_000 });
    assert.equal(down.status, 0, down.stderr);
    assert.deepEqual(await containers(), []);
    const volumes = await must(engine.cmd, ['volume', 'ls', '--format', '{{.Name}}']);
    assert.deepEqual(volumes.stdout.split('\n').filter((v) => v.startsWith(`${PROJECT}_`)), []);
    figures['services not run here'] = NOT_RUN_HERE.join(', ');
  });
});
