import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load-config.js';
import { loadSimulatorConfig } from '../../src/simulator/index.js';
import { sampleOrderInput } from '../helpers/orders.js';

/**
 * No Docker engine runs here, so the image and the compose file are checked by what can be run
 * outside Docker: the files they copy exist, the entry command works from the built output with
 * the config the image reads, and compose gives that config every variable it needs.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, { command?: string[]; environment?: Record<string, string>; stop_grace_period?: string; volumes?: string[]; image?: string; build?: string; profiles?: string[] }>;
};

test('Dockerfile: multi-stage on Node 22, runs as a non-root user, copies only files that exist', () => {
  const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)];
  assert.ok(froms.length >= 2, 'multi-stage');
  for (const f of froms) assert.match(f[1]!, /^node:22/);
  assert.match(dockerfile, /^USER node$/m);
  assert.match(dockerfile, /chown node:node \/var\/lib\/partnerd\/sop/, 'the S&P volume is writable by the process');
  assert.ok(dockerfile.indexOf('chown node:node') < dockerfile.indexOf('USER node'));
  assert.match(dockerfile, /^EXPOSE 8080$/m);
  const copies = [...dockerfile.matchAll(/^COPY\s+(?!--from)(?:--\S+\s+)*(.+)\s+\S+$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/));
  assert.ok(copies.length >= 6);
  for (const src of copies) assert.ok(existsSync(join(ROOT, src)), `COPY source ${src} exists`);
  assert.match(dockerfile, /ENTRYPOINT \["node", "bin\/partnerd.js"\]/);
  assert.match(dockerfile, /CMD \["run"\]/);
});

test('the image entry command works from the build output with the config the image reads', () => {
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(build.status, 0, build.stdout + build.stderr);
  const dir = mkdtempSync(join(tmpdir(), 'partnerd-image-'));
  const order = join(dir, 'order.json');
  writeFileSync(order, JSON.stringify(sampleOrderInput('IMG-1', { tenant: 'sandbox' })));
  const env = {
    ...process.env, NODE_ENV: 'production', PARTNERD_CONFIG: join(ROOT, 'config/partnerd.yaml'), REDIS_URL: 'redis://redis:6379',
    BENIFY_SECRET: 'image-test-benify-secret', ACTIWAY_PASSWORD: 'image-test-pass', WELLNET_TOKEN: 'wt', EPASSI_CLIENT_SECRET: 'es',
    PARTNERD_ERASURE_KEY: 'image-test-erasure-key-0123456789abcdef',
  };
  const help = spawnSync(process.execPath, ['bin/partnerd.js', '--help'], { cwd: ROOT, encoding: 'utf8', env });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /run\s+run the daemon/);
  const render = spawnSync(process.execPath, ['bin/partnerd.js', 'render', order], { cwd: ROOT, encoding: 'utf8', env });
  assert.equal(render.status, 0, render.stderr);
  assert.match(render.stdout, /<ordernr>IMG-1<\/ordernr>/);
});

test('compose: the ledger on PostgreSQL with a volume and a healthcheck that partnerd waits for; Redis never evicts; partnerd gets every variable its config needs', () => {
  const postgres = compose.services.postgres! as (typeof compose.services)[string] & { healthcheck?: { test: string[] } };
  assert.match(postgres.image ?? '', /^postgres:1[5-9]/, 'PostgreSQL 15 or later');
  assert.ok(postgres.volumes?.some((v) => v.endsWith(':/var/lib/postgresql/data')), 'the ledger lives on a volume');
  assert.ok(postgres.healthcheck?.test.includes('pg_isready'));
  const dependsOn = (compose.services.partnerd as unknown as { depends_on: Record<string, { condition: string }> }).depends_on;
  assert.equal(dependsOn.postgres?.condition, 'service_healthy', 'the daemon waits for the ledger');

  const redis = compose.services.redis!;
  const cmd = redis.command!.join(' ');
  assert.match(cmd, /--maxmemory-policy noeviction/);
  assert.match(cmd, /--appendonly yes/, 'restarts keep the queues (a loss is rebuilt from the ledger, but need not be)');

  const partnerd = compose.services.partnerd!;
  const env = partnerd.environment!;
  assert.equal(env.PARTNERD_CONFIG, '/app/config/partnerd.yaml');
  assert.equal(env.REDIS_URL, 'redis://redis:6379');
  assert.match(env.DATABASE_URL ?? '', /^postgres:\/\/partnerd:.*@postgres:5432\/partnerd$/);
  // Every ${VAR} in the shipped config is provided by compose (or has a default there).
  const text = readFileSync(join(ROOT, 'config/partnerd.yaml'), 'utf8').split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');
  for (const m of text.matchAll(/\$\{([A-Z0-9_]+)(:-[^}]*)?\}/g)) {
    assert.ok(m[2] !== undefined || m[1]! in env, `${m[1]} is provided`);
  }
  // What compose hands the container: defaults applied, required (`:?`) ones as an operator sets them.
  const composeEnv = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v
    .replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/, '$1')
    .replace(/\$\{([A-Z0-9_]+):\?[^}]*\}/, (_m, name: string) => (name.endsWith('_URL') ? `http://${name.toLowerCase()}.example/` : `operator-set-${name.toLowerCase()}-value`))]));
  const cfg = loadConfig(join(ROOT, 'config/partnerd.yaml'), composeEnv);
  assert.equal(cfg.redis.url, 'redis://redis:6379');
  assert.match(cfg.database.url, /@postgres:5432\/partnerd$/);
  assert.equal(cfg.tenants.sandbox?.baseUrl, 'http://brp-simulator:8089/sandbox/');
  assert.equal(cfg.portals.benify?.secret, 'operator-set-benify_secret-value');
  assert.equal(cfg.portals.benify?.previousSecret, undefined, 'an empty previous secret is no secret');
  assert.equal(cfg.portals.sop?.root, '/var/lib/partnerd/sop');
  assert.ok(partnerd.volumes?.some((v) => v.endsWith(':/var/lib/partnerd/sop')), 'the S&P folder is a volume');
  const grace = Number(/^(\d+)s$/.exec(partnerd.stop_grace_period ?? '')?.[1]) * 1000;
  assert.ok(grace > cfg.shutdownGraceMs, 'compose waits longer than the daemon’s grace period before SIGKILL');

  const sim = compose.services['brp-simulator']!;
  assert.deepEqual(sim.profiles, ['sandbox']);
  assert.equal(sim.command![0], 'simulate-brp');
  const simOptions = loadSimulatorConfig(join(ROOT, 'config/simulator.yaml'), sim.environment);
  assert.equal(simOptions.host, '0.0.0.0', 'the simulator listens beyond the container’s loopback');
  assert.ok(simOptions.instances.sandbox);
});
