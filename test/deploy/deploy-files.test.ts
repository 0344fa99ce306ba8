import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load-config.js';
import { loadSimulatorConfig } from '../../src/simulator/index.js';
import { sampleOrderInput } from '../../support/orders.js';

/**
 * Static checks of the Dockerfile and docker-compose.yml, runnable anywhere: what they copy exists,
 * the entry command works from the built output, compose gives partnerd's config everything it
 * needs (and nothing a portal that is off needs), secrets are files, ports and logs are as the
 * README says. The image and the compose file are run for real by `npm run test:container`
 * (test/container/), which needs a container engine.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const composeText = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  stop_grace_period?: string;
  volumes?: string[];
  profiles?: string[];
  ports?: string[];
  secrets?: string[];
  healthcheck?: { test: string[] };
  logging?: { driver: string; options: Record<string, string> };
  depends_on?: Record<string, { condition: string }> | string[];
  networks?: string[] | Record<string, { ipv4_address?: string }>;
}
const compose = parse(composeText) as {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
  networks: Record<string, { ipam?: { config: Array<{ subnet: string; ip_range: string }> } }>;
};
const service = (name: string) => {
  const s = compose.services[name];
  assert.ok(s, `compose has a ${name} service`);
  return s;
};

/**
 * Compose's interpolation as an operator's .env drives it: `${VAR:-default}` (unset or empty →
 * default), `${VAR-default}`, `${VAR:?message}` (unset or empty → compose refuses to run), `${VAR}`
 * and `$$`.
 */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\{([A-Z0-9_]+)(?:(:?)([-?])([^}]*))?\}/g, (whole, name: string | undefined, colon: string, op: string, arg: string) => {
    if (whole === '$$') return '$';
    const value = env[name!];
    const missing = value === undefined || (colon === ':' && value === '');
    if (op === '-') return missing ? arg : value!;
    if (op === '?') {
      if (missing) throw new Error(`compose refuses to run: ${name}: ${arg}`);
      return value!;
    }
    return value ?? '';
  });
}

/** Every variable docker-compose.yml reads. */
const composeVariables = [...new Set([...composeText.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]!))];

test('Dockerfile: multi-stage on Node 22, runs as a non-root user, copies only files that exist, checks /readyz from inside', () => {
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
  assert.match(dockerfile, /^HEALTHCHECK .*\\\n\s+CMD \["node", "\/app\/bin\/healthcheck\.js"\]$/m);
  assert.ok(existsSync(join(ROOT, 'bin/healthcheck.js')));
  // Secrets and an operator's .env never enter the build context.
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
  for (const entry of ['secrets', '.env', 'node_modules']) assert.ok(ignored.includes(entry), `.dockerignore has ${entry}`);
});

test('the health check script: exit 0 on a ready /readyz, 1 with the reason otherwise', async () => {
  let status = 200;
  const server = createServer((req, res) => {
    res.writeHead(req.url === '/readyz' ? status : 404, { 'content-type': 'application/json' }).end(JSON.stringify({ status: status === 200 ? 'ready' : 'not ready', reason: 'redis: no answer within 1000 ms' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  // Asynchronously: this process answers the script's request.
  const check = () => new Promise<{ code: number | null; out: string }>((r) => {
    execFile(process.execPath, ['bin/healthcheck.js'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ADMIN_HTTP_PORT: String(port), ADMIN_HTTP_HOST: '0.0.0.0' } },
      (err, stdout) => r({ code: err ? Number(err.code) : 0, out: stdout }));
  });
  try {
    assert.deepEqual(await check(), { code: 0, out: '200 {"status":"ready","reason":"redis: no answer within 1000 ms"}\n' });
    status = 503;
    const failing = await check();
    assert.equal(failing.code, 1);
    assert.match(failing.out, /^503 .*redis: no answer/);
  } finally {
    server.close();
  }
  const nothing = spawnSync(process.execPath, ['bin/healthcheck.js', `http://127.0.0.1:${port}/readyz`], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(nothing.status, 1);
  assert.match(nothing.stdout, /ECONNREFUSED/);
});

test('the image entry command works from the build output with the config the image reads', () => {
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(build.status, 0, build.stdout + build.stderr);
  const dir = mkdtempSync(join(tmpdir(), 'partnerd-image-'));
  const order = join(dir, 'order.json');
  writeFileSync(order, JSON.stringify(sampleOrderInput('IMG-1', { tenant: 'sandbox' })));
  // No portal variable: every portal is off unless switched on. The tenant's key and the erasure key are required.
  const env = {
    ...process.env, NODE_ENV: 'production', PARTNERD_CONFIG: join(ROOT, 'config/partnerd.yaml'), REDIS_URL: 'redis://redis:6379', BRP_SANDBOX_API_KEY: 'image-test-key',
    PARTNERD_ERASURE_KEY: 'image-test-erasure-key-0123456789abcdef',
  };
  const help = spawnSync(process.execPath, ['bin/partnerd.js', '--help'], { cwd: ROOT, encoding: 'utf8', env });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /run\s+run the daemon/);
  const render = spawnSync(process.execPath, ['bin/partnerd.js', 'render', 'order', order], { cwd: ROOT, encoding: 'utf8', env });
  assert.equal(render.status, 0, render.stderr);
  assert.match(render.stdout, /<ordernr>IMG-1<\/ordernr>/);
  const stdin = spawnSync(process.execPath, ['bin/partnerd.js', 'render', 'order', '-'], { cwd: ROOT, encoding: 'utf8', env, input: readFileSync(order) });
  assert.equal(stdin.status, 0, stdin.stderr);
  assert.match(stdin.stdout, /<ordernr>IMG-1<\/ordernr>/, '`-` reads standard input');
});

/**
 * What partnerd's config sees inside the container when an operator's .env holds `operatorEnv`:
 * compose's environment interpolated, and each /run/secrets/<name> read from the file compose
 * mounts there (`files`: the operator's secret files; a portal's default is secrets/unset).
 */
function configInContainer(operatorEnv: Record<string, string>, files: Record<string, string>) {
  const secretSource = Object.fromEntries(Object.entries(compose.secrets).map(([name, s]) => {
    const path = interpolate(s.file, operatorEnv);
    return [name, files[path] ?? resolve(ROOT, path)];
  }));
  const env = Object.fromEntries(Object.entries(service('partnerd').environment!).map(([k, v]) => {
    const value = interpolate(String(v), operatorEnv);
    const secret = /^\/run\/secrets\/(.+)$/.exec(value)?.[1];
    return [k, secret ? secretSource[secret]! : value];
  }));
  return loadConfig(join(ROOT, 'config/partnerd.yaml'), env);
}

test('compose quick start: PostgreSQL, Redis and partnerd need only the tenant (URL and key), the database password and the erasure key; every portal is off', () => {
  const dir = mkdtempSync(join(tmpdir(), 'partnerd-compose-'));
  const file = (name: string, text: string) => { writeFileSync(join(dir, name), `${text}\n`); return join(dir, name); };
  const files = {
    './secrets/postgres_password': file('pg', 'db-pass-from-secret'), './secrets/brp_sandbox_api_key': file('key', 'key-from-secret'),
    './secrets/partnerd_erasure_key': file('erasure', 'erasure-key-from-secret-0123456789abcdef'),
  };

  assert.throws(() => configInContainer({}, files), /compose refuses to run: BRP_SANDBOX_URL: set BRP_SANDBOX_URL/, 'no default BRP, never the simulator');
  const cfg = configInContainer({ BRP_SANDBOX_URL: 'https://api.brpsystems.se/brpgog/' }, files);
  assert.equal(cfg.tenants.sandbox?.baseUrl, 'https://api.brpsystems.se/brpgog/');
  assert.equal(cfg.tenants.sandbox?.apiKey, 'key-from-secret');
  assert.equal(cfg.database.password, 'db-pass-from-secret');
  assert.equal(cfg.retention.erasureKey, 'erasure-key-from-secret-0123456789abcdef');
  assert.match(cfg.database.url, /@postgres:5432\/partnerd$/);
  assert.equal(cfg.redis.url, 'redis://redis:6379');
  assert.deepEqual(cfg.portals, {});
  assert.deepEqual(cfg.portalsOff, ['benify', 'actiway', 'wellnet', 'epassi', 'sop']);
  assert.deepEqual(cfg.ingest.http.trustedProxies, ['172.30.77.2'], 'the tls profile\'s proxy');

  // A portal switched on without its secret file names the key; with it, it runs.
  const on = { BRP_SANDBOX_URL: 'http://brp-simulator:8089/sandbox/', BENIFY_ENABLED: 'true', WELLNET_ENABLED: 'true', WELLNET_URL: 'https://wellnet.example/', SOP_ENABLED: 'true' };
  assert.throws(() => configInContainer(on, files), /portals\.benify\.secretFile: cannot read secret file \(file is empty\)/);
  const withSecrets = configInContainer({ ...on, BENIFY_SECRET_FILE: './secrets/benify', WELLNET_TOKEN_FILE: './secrets/wellnet' }, {
    ...files, './secrets/benify': file('benify', 'benify-secret-from-file'), './secrets/wellnet': file('wellnet', 'wellnet-token-from-file'),
  });
  assert.equal(withSecrets.portals.benify?.secret, 'benify-secret-from-file');
  assert.equal(withSecrets.portals.benify?.previousSecret, undefined, 'the empty placeholder: no rotation');
  assert.equal(withSecrets.portals.wellnet?.token, 'wellnet-token-from-file');
  assert.equal(withSecrets.portals.sop?.root, '/var/lib/partnerd/sop');
  assert.deepEqual(withSecrets.portalsOff, ['actiway', 'epassi']);
});

test('compose secrets: every secret is a file under /run/secrets, declared for the services that read it; none is an environment value', () => {
  const partnerd = service('partnerd');
  const env = partnerd.environment!;
  for (const [name, value] of Object.entries(env)) {
    assert.doesNotMatch(name, /(SECRET|PASSWORD|TOKEN|API_KEY)$/, `${name}: secrets come from files (*_FILE), not the environment`);
    if (name.endsWith('_FILE')) {
      const secret = /^\/run\/secrets\/([a-z_]+)$/.exec(value)?.[1];
      assert.ok(secret, `${name} names a compose secret`);
      assert.ok(partnerd.secrets?.includes(secret), `partnerd mounts ${secret}`);
      assert.ok(compose.secrets[secret], `${secret} is declared`);
    }
  }
  assert.match(env.DATABASE_URL ?? '', /^postgres:\/\/partnerd@postgres:5432\/partnerd$/, 'no password in the URL');
  const postgres = service('postgres');
  assert.equal(postgres.environment?.POSTGRES_PASSWORD_FILE, '/run/secrets/postgres_password');
  assert.equal(postgres.environment?.POSTGRES_PASSWORD, undefined);
  assert.deepEqual(postgres.secrets, ['postgres_password']);
  // Every secret of the config schema that compose can hand over: the shipped config reads its *_FILE variable.
  const shipped = readFileSync(join(ROOT, 'config/partnerd.yaml'), 'utf8');
  for (const key of ['apiKeyFile', 'passwordFile', 'secretFile', 'previousSecretFile', 'tokenFile', 'clientSecretFile']) assert.match(shipped, new RegExp(`^\\s+${key}: \\$\\{[A-Z_]+_FILE:-\\}`, 'm'), `${key} in the shipped config`);
  // A portal's secret defaults to the empty placeholder, which git tracks (and nothing else in secrets/).
  assert.equal(readFileSync(join(ROOT, 'secrets/unset'), 'utf8'), '');
  assert.match(readFileSync(join(ROOT, 'secrets/.gitignore'), 'utf8'), /^\*$/m);
});

test('compose: PostgreSQL with a volume and a TCP healthcheck partnerd waits for; Redis never evicts; partnerd\'s healthcheck asks /readyz; stop waits past the grace period', () => {
  const postgres = service('postgres');
  assert.match(postgres.image ?? '', /^postgres:1[5-9]/, 'PostgreSQL 15 or later');
  assert.ok(postgres.volumes?.some((v) => v.endsWith(':/var/lib/postgresql/data')), 'the ledger lives on a volume');
  assert.deepEqual(postgres.healthcheck?.test.slice(0, 4), ['CMD', 'pg_isready', '-h', '127.0.0.1'], 'over TCP: the first start runs a socket-only server');
  const partnerd = service('partnerd');
  const dependsOn = partnerd.depends_on as Record<string, { condition: string }>;
  assert.equal(dependsOn.postgres?.condition, 'service_healthy', 'the daemon waits for the ledger');
  assert.equal(dependsOn.redis?.condition, 'service_healthy');

  const cmd = service('redis').command!.join(' ');
  assert.match(cmd, /--maxmemory-policy noeviction/);
  assert.match(cmd, /--appendonly yes/, 'restarts keep the queues (a loss is rebuilt from the ledger, but need not be)');

  assert.deepEqual(partnerd.healthcheck?.test, ['CMD', 'node', '/app/bin/healthcheck.js']);
  const env = partnerd.environment!;
  assert.equal(env.PARTNERD_CONFIG, '/app/config/partnerd.yaml');
  assert.equal(env.REDIS_URL, 'redis://redis:6379');
  // Every ${VAR} in the shipped config is provided by compose (or has a default there).
  const text = readFileSync(join(ROOT, 'config/partnerd.yaml'), 'utf8').split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');
  for (const m of text.matchAll(/\$\{([A-Z0-9_]+)(:-[^}]*)?\}/g)) {
    assert.ok(m[2] !== undefined || m[1]! in env, `${m[1]} is provided`);
  }
  assert.ok(partnerd.volumes?.some((v) => v.endsWith(':/var/lib/partnerd/sop')), 'the S&P folder is a volume');
  const cfg = loadConfig(join(ROOT, 'config/partnerd.yaml'), { BRP_SANDBOX_API_KEY: 'k', PARTNERD_ERASURE_KEY: 'deploy-test-erasure-key-0123456789abcdef' });
  const grace = Number(/^(\d+)s$/.exec(partnerd.stop_grace_period ?? '')?.[1]) * 1000;
  assert.ok(grace > cfg.shutdownGraceMs, 'compose waits longer than the daemon’s grace period before SIGKILL');

  const sim = service('brp-simulator');
  assert.deepEqual(sim.profiles, ['sandbox']);
  assert.equal(sim.command![0], 'simulate-brp');
  const simOptions = loadSimulatorConfig(join(ROOT, 'config/simulator.yaml'), sim.environment);
  assert.equal(simOptions.host, '0.0.0.0', 'the simulator listens beyond the container’s loopback');
  assert.ok(simOptions.instances.sandbox);
  assert.match(sim.healthcheck!.test.join(' '), /healthcheck\.js http:\/\/127\.0\.0\.1:8089\//);
});

test('compose logs: every service logs to json-file, rotated by size and count', () => {
  for (const [name, s] of Object.entries(compose.services)) {
    assert.equal(s.logging?.driver, 'json-file', `${name} logs to json-file (log shippers read it)`);
    assert.match(s.logging?.options['max-size'] ?? '', /^\d+[kmg]$/, `${name} rotates by size`);
    assert.match(s.logging?.options['max-file'] ?? '', /^\d+$/, `${name} keeps a bounded number of files`);
  }
});

test('compose ports: plain HTTP and operator ports on loopback; only TLS (tls profile) and SFTP (sop profile) face the network', () => {
  const publicByDesign: Record<string, string[]> = { caddy: ['80:80', '443:443', '443:443/udp'], sftp: ['2222:22'] };
  for (const [name, s] of Object.entries(compose.services)) {
    for (const port of s.ports ?? []) {
      const published = interpolate(port, {});
      if (publicByDesign[name]?.includes(published)) continue;
      assert.match(published, /^127\.0\.0\.1:\d+:\d+$/, `${name} publishes ${published} on loopback only`);
    }
  }
  assert.deepEqual(service('partnerd').ports, ['${INGEST_BIND:-127.0.0.1}:${INGEST_PORT:-8080}:8080']);
  assert.deepEqual(service('caddy').profiles, ['tls']);
  assert.deepEqual(service('sftp').profiles, ['sop']);
  assert.equal(service('partnerd').environment!.ADMIN_HTTP_HOST, '0.0.0.0', 'for Prometheus on the compose network');
  assert.ok(!(service('partnerd').ports ?? []).some((p) => p.endsWith(':8081')), 'the admin listener is never published');
});

test('compose tls profile: Caddy in front with the one address partnerd trusts for X-Forwarded-For, only /portals/* proxied', () => {
  const caddy = service('caddy');
  const proxyIp = interpolate((caddy.networks as Record<string, { ipv4_address: string }>).ingest!.ipv4_address, {});
  assert.equal(interpolate(service('partnerd').environment!.INGEST_TRUSTED_PROXIES!, {}), proxyIp);
  const ipam = compose.networks.ingest!.ipam!.config[0]!;
  const [subnet, range] = [interpolate(ipam.subnet, {}), interpolate(ipam.ip_range, {})];
  const inCidr = (ip: string, cidr: string) => {
    const [base, bits] = cidr.split('/');
    const n = (a: string) => a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    const mask = 2 ** 32 - 2 ** (32 - Number(bits));
    return (n(ip) & mask) >>> 0 === (n(base!) & mask) >>> 0;
  };
  assert.ok(inCidr(proxyIp, subnet), `${proxyIp} is in ${subnet}`);
  assert.ok(!inCidr(proxyIp, range), `${proxyIp} is outside the range containers get at random (${range})`);
  assert.deepEqual(service('partnerd').networks, ['default', 'ingest']);
  const caddyfile = readFileSync(join(ROOT, 'deploy/caddy/Caddyfile'), 'utf8');
  assert.match(caddyfile, /^\{\$PARTNERD_DOMAIN\} \{$/m);
  assert.match(caddyfile, /handle \/portals\/\* \{\s+reverse_proxy partnerd:8080\s+\}/);
  assert.ok(caddy.volumes?.includes('./deploy/caddy/Caddyfile:/etc/caddy/Caddyfile:ro'));
});

test('compose sop profile: an SFTP server on the S&P volume, user sop with keys only, the same uid as partnerd', () => {
  const sftp = service('sftp');
  assert.deepEqual(sftp.command, ['sop::1000:1000'], 'no password; uid/gid 1000 = the image\'s node user');
  assert.ok(sftp.volumes?.includes('sop-data:/home/sop/sop'));
  assert.ok(sftp.volumes?.some((v) => v.endsWith(':/home/sop/.ssh/keys/sop.pub:ro')));
  assert.ok(sftp.volumes?.some((v) => v.endsWith(':/etc/ssh/ssh_host_ed25519_key:ro')), 'a pinned host key');
  assert.deepEqual(sftp.depends_on, ['partnerd'], 'the S&P volume is created from partnerd\'s image, owned by its user');
});

test('.env.example lists every variable docker-compose.yml reads, each under a comment', () => {
  const example = readFileSync(join(ROOT, '.env.example'), 'utf8').split('\n');
  for (const name of composeVariables) {
    const at = example.findIndex((l) => new RegExp(`^#? ?${name}=`).test(l));
    assert.ok(at > 0, `.env.example lists ${name}`);
    let above = at - 1;
    while (above > 0 && /^#? ?[A-Z0-9_]+=/.test(example[above]!)) above--;
    assert.match(example[above]!, /^# \S/, `${name} is explained by a comment`);
  }
  assert.ok(example.some((l) => /^BRP_SANDBOX_URL=$/.test(l)), 'the one required variable is there, empty: compose says what to set');
});
