import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromObject, ENV_OVERRIDES, loadConfig } from '../../src/config/load-config.js';
import { stringify } from 'yaml';
import pg from 'pg';
import { isPartnerdError } from '../../src/errors.js';
import { connectionOptions, databaseAddress } from '../../src/ledger/database.js';

const tenant = { baseUrl: 'https://api.brpsystems.se/brpgog/', apiKey: '${BRP_KEY}' };

const ERASURE_KEY = 'config-test-erasure-key-0123456789abcdef';
/** Every config needs the erasure key (retention.erasureKey is required). */
const retention = { erasureKey: ERASURE_KEY };

const ALL_PORTALS_ON = { BENIFY_ENABLED: 'true', ACTIWAY_ENABLED: 'true', WELLNET_ENABLED: 'true', EPASSI_ENABLED: 'true', SOP_ENABLED: 'true' };
const PORTAL_SECRETS = { BENIFY_SECRET: 'benify-secret-0123456789', ACTIWAY_PASSWORD: 'actiway-pass', WELLNET_TOKEN: 'wt', EPASSI_CLIENT_SECRET: 'es' };
const PORTAL_URLS = { WELLNET_URL: 'https://wellnet.example/', EPASSI_URL: 'https://epassi.example/' };
/** What the shipped config needs whatever is switched on: the tenant's key and the erasure key. */
const REQUIRED_ENV = { BRP_SANDBOX_API_KEY: 'sandbox-key', PARTNERD_ERASURE_KEY: ERASURE_KEY };
const SHIPPED_ENV = { ...REQUIRED_ENV, ...ALL_PORTALS_ON, ...PORTAL_SECRETS, ...PORTAL_URLS };

test('the shipped example config loads with its defaults once the secrets of the portals switched on are given', () => {
  assert.throws(() => loadConfig('config/partnerd.yaml', { ...REQUIRED_ENV, BENIFY_ENABLED: 'true' }), /portals\.benify\.secret: required: set secret or secretFile/);
  const { PARTNERD_ERASURE_KEY: _key, ...withoutKey } = SHIPPED_ENV;
  assert.throws(() => loadConfig('config/partnerd.yaml', withoutKey), /retention\.erasureKey: exactly one of erasureKey and erasureKeyFile must be set/);
  const cfg = loadConfig('config/partnerd.yaml', SHIPPED_ENV);
  assert.deepEqual(cfg.portals.benify?.venues.odenplan, { tenant: 'sandbox', businessUnit: '1' });
  assert.equal(cfg.tenants.sandbox?.articles['GYM-12M'], '1001');
  assert.equal(cfg.portals.wellnet?.schedule, '* * * * *');
  assert.equal(cfg.ingest.http.port, 8080);
  assert.deepEqual(
    [cfg.ingest.http.headersTimeoutMs, cfg.ingest.http.requestTimeoutMs, cfg.ingest.http.keepAliveTimeoutMs, cfg.ingest.http.maxRequestsPerSocket],
    [10_000, 30_000, 5_000, 100],
  );
  assert.deepEqual([cfg.ingest.http.maxConnections, cfg.ingest.http.maxConnectionsPerClient, cfg.ingest.http.trustedProxies], [256, 16, []]);
  assert.deepEqual(cfg.ingest.http.authFailures, { maxFailures: 10, windowSeconds: 60, blockSeconds: 300 });
  assert.equal(cfg.tenants.sandbox?.apiKey, 'sandbox-key');
  assert.equal(cfg.tenants.sandbox?.inDoubtPolicy, 'hold');
  assert.equal(cfg.redis.url, 'redis://127.0.0.1:6379');
  assert.equal(cfg.database.password, undefined, 'an empty DATABASE_PASSWORD_FILE is no password file');
  assert.deepEqual(Object.keys(cfg.portals).sort(), ['actiway', 'benify', 'epassi', 'sop', 'wellnet']);
  assert.deepEqual(cfg.portalsOff, []);
});

test('the shipped config with only a tenant key: every portal is off and none of their variables is needed', () => {
  const cfg = loadConfig('config/partnerd.yaml', { BRP_SANDBOX_API_KEY: 'k', PARTNERD_ERASURE_KEY: ERASURE_KEY });
  assert.deepEqual(cfg.portals, {});
  assert.deepEqual(cfg.portalsOff, ['benify', 'actiway', 'wellnet', 'epassi', 'sop']);
  // The tenant's key is required: from BRP_SANDBOX_API_KEY or BRP_SANDBOX_API_KEY_FILE, never a default.
  assert.throws(() => loadConfig('config/partnerd.yaml', {}), /tenants\.sandbox\.apiKey: exactly one of apiKey and apiKeyFile must be set/);
  const dir = mkdtempSync(join(tmpdir(), 'pdcfg-'));
  writeFileSync(join(dir, 'key'), 'key-from-file\n');
  assert.equal(loadConfig('config/partnerd.yaml', { BRP_SANDBOX_API_KEY_FILE: join(dir, 'key'), PARTNERD_ERASURE_KEY: ERASURE_KEY }).tenants.sandbox?.apiKey, 'key-from-file');
});

test('a portal section with enabled: false is not read at all; enabled from the environment; a wrong value is named', () => {
  const section = { enabled: '${WELLNET_ENABLED:-false}', baseUrl: '${WELLNET_URL}', token: '${WELLNET_TOKEN}', venues: { v: { tenant: 'a', businessUnit: 1 } } };
  const off = configFromObject({ tenants: { a: tenant }, retention, portals: { wellnet: section } }, 'x.yaml', { BRP_KEY: 'k' });
  assert.equal(off.portals.wellnet, undefined, 'WELLNET_URL and WELLNET_TOKEN were never asked for');
  assert.deepEqual(off.portalsOff, ['wellnet']);
  const on = configFromObject({ tenants: { a: tenant }, retention, portals: { wellnet: section } }, 'x.yaml', { BRP_KEY: 'k', WELLNET_ENABLED: 'yes', WELLNET_URL: 'https://wellnet.example/', WELLNET_TOKEN: 'tok' });
  assert.equal(on.portals.wellnet?.token, 'tok');
  assert.equal('enabled' in on.portals.wellnet!, false, 'the rest of the code never sees the switch');
  assert.throws(() => configFromObject({ tenants: { a: tenant }, retention, portals: { wellnet: section } }, 'x.yaml', { BRP_KEY: 'k', WELLNET_ENABLED: 'yes' }),
    /portals\.wellnet\.baseUrl: environment variable WELLNET_URL is not set/);
  assert.throws(() => configFromObject({ tenants: { a: tenant }, retention, portals: { wellnet: section } }, 'x.yaml', { BRP_KEY: 'k', WELLNET_ENABLED: 'maybe', WELLNET_URL: 'https://wellnet.example/', WELLNET_TOKEN: 'tok' }),
    /portals\.wellnet\.enabled/);
  assert.throws(() => configFromObject({ tenants: { a: tenant }, retention, portals: { wellnet: { ...section, enabled: '${WELLNET_SWITCH}' } } }, 'x.yaml', { BRP_KEY: 'k' }),
    (err: unknown) => isPartnerdError(err, 'PD_CONFIG_INVALID') && /portals\.wellnet\.enabled: environment variable WELLNET_SWITCH is not set/.test(err.message));
  const literal = configFromObject({ tenants: { a: tenant }, retention, portals: { sop: { enabled: false, root: '${NOWHERE}' } } }, 'x.yaml', { BRP_KEY: 'k' });
  assert.deepEqual([literal.portals, literal.portalsOff], [{}, ['sop']]);
  const implicit = configFromObject({ tenants: { a: tenant }, retention, portals: { sop: { root: '/srv/sop' } } }, 'x.yaml', { BRP_KEY: 'k' });
  assert.equal(implicit.portals.sop?.root, '/srv/sop', 'a section without enabled is on');
});

test('every portal secret has a file form: read and trimmed, exactly one of the two, each problem named by key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pdcfg-'));
  const file = (name: string, text: string) => { writeFileSync(join(dir, name), text); return join(dir, name); };
  const venues = { v: { tenant: 'a', businessUnit: 1 } };
  const portals = {
    benify: { venues, secretFile: file('benify', 'benify-secret-from-file-01\n'), previousSecretFile: file('benify-prev', 'benify-previous-secret-02\n') },
    actiway: { venues, username: 'u', passwordFile: file('actiway', 'actiway-pass-file\n') },
    wellnet: { venues, baseUrl: 'https://wellnet.example/', tokenFile: file('wellnet', 'wellnet-token-file') },
    epassi: { venues, baseUrl: 'https://epassi.example/', clientId: 'c', clientSecretFile: file('epassi', ' epassi-secret-file \n') },
  };
  const cfg = configFromObject({ tenants: { a: tenant }, retention, portals }, join(dir, 'c.yaml'), { BRP_KEY: 'k' });
  assert.equal(cfg.portals.benify?.secret, 'benify-secret-from-file-01');
  assert.equal(cfg.portals.benify?.previousSecret, 'benify-previous-secret-02');
  assert.equal(cfg.portals.actiway?.password, 'actiway-pass-file');
  assert.equal(cfg.portals.wellnet?.token, 'wellnet-token-file');
  assert.equal(cfg.portals.epassi?.clientSecret, 'epassi-secret-file');
  for (const section of Object.values(cfg.portals)) assert.ok(!Object.keys(section).some((k) => k.endsWith('File')), 'only values reach the rest of the code');

  // An empty previous-secret file (compose's placeholder) is no rotation; an empty required one is an error.
  const empty = file('empty', '');
  const rotating = configFromObject({ tenants: { a: tenant }, retention, portals: { benify: { ...portals.benify, previousSecretFile: empty } } }, 'x.yaml', { BRP_KEY: 'k' });
  assert.equal(rotating.portals.benify?.previousSecret, undefined);
  assert.throws(() => configFromObject({ tenants: { a: tenant }, retention, portals: { wellnet: { ...portals.wellnet, tokenFile: empty } } }, 'x.yaml', { BRP_KEY: 'k' }),
    /portals\.wellnet\.tokenFile: cannot read secret file \(file is empty\)/);
  assert.throws(() => configFromObject({ tenants: { a: tenant }, retention, portals: { epassi: { ...portals.epassi, clientSecretFile: join(dir, 'missing') } } }, 'x.yaml', { BRP_KEY: 'k' }),
    /portals\.epassi\.clientSecretFile: cannot read secret file \(ENOENT\)/);
  assert.throws(() => configFromObject({ tenants: { a: tenant }, retention, portals: { actiway: { ...portals.actiway, password: 'inline-too' } } }, 'x.yaml', { BRP_KEY: 'k' }),
    /portals\.actiway\.password: give password or passwordFile, not both/);
  assert.throws(() => configFromObject({ tenants: { a: tenant }, retention, portals: { benify: { venues, secretFile: file('short', 'too-short') } } }, 'x.yaml', { BRP_KEY: 'k' }),
    /portals\.benify\.secretFile: the secret must have at least 16 characters/);
  assert.throws(() => configFromObject({ tenants: { a: tenant }, retention, portals: { benify: { venues, secret: 'too-short' } } }, 'x.yaml', { BRP_KEY: 'k' }),
    /portals\.benify\.secret: at least 16 characters/);
  // Never the secret itself in a message.
  assert.throws(() => configFromObject({ tenants: { a: tenant }, retention, portals: { benify: { venues, secret: 'sekret-777', secretFile: empty } } }, 'x.yaml', { BRP_KEY: 'k' }),
    (err: unknown) => isPartnerdError(err, 'PD_CONFIG_INVALID') && !/sekret-777/.test(err.message));
});

test('INGEST_TRUSTED_PROXIES (comma-separated) overrides ingest.http.trustedProxies; each entry is checked', () => {
  const cfg = configFromObject({ tenants: { a: tenant }, retention }, 'x.yaml', { BRP_KEY: 'k', INGEST_TRUSTED_PROXIES: '172.30.77.2, 10.0.0.0/8' });
  assert.deepEqual(cfg.ingest.http.trustedProxies, ['172.30.77.2', '10.0.0.0/8']);
  const unset = configFromObject({ tenants: { a: tenant }, retention, ingest: { http: { trustedProxies: ['10.1.1.1'] } } }, 'x.yaml', { BRP_KEY: 'k', INGEST_TRUSTED_PROXIES: '' });
  assert.deepEqual(unset.ingest.http.trustedProxies, ['10.1.1.1'], 'empty: the file decides');
  assert.throws(() => configFromObject({ tenants: { a: tenant }, retention }, 'x.yaml', { BRP_KEY: 'k', INGEST_TRUSTED_PROXIES: 'caddy' }), /ingest\.http\.trustedProxies\.0/);
});

test('every environment override applies in one step, over the file, and is validated like the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pdcfg-env-'));
  const file = join(dir, 'from-env.yaml');
  writeFileSync(file, stringify({ tenants: { a: tenant }, retention, log: { level: 'info' }, ingest: { http: { port: 8080 } } }));
  const env = {
    BRP_KEY: 'k', PARTNERD_CONFIG: file, DATABASE_URL: 'postgres://partnerd@db.internal:5433/ledger', REDIS_URL: 'redis://10.0.0.1:6380',
    LOG_LEVEL: 'debug', ADMIN_HTTP_HOST: '0.0.0.0', ADMIN_HTTP_PORT: '9181', INGEST_HTTP_HOST: '127.0.0.1', INGEST_HTTP_PORT: '9180',
    INGEST_TRUSTED_PROXIES: '10.0.0.0/8',
  };
  const cfg = loadConfig(undefined, env);
  assert.equal(cfg.source, file, 'PARTNERD_CONFIG names the file');
  assert.deepEqual(
    [cfg.database.url, cfg.redis.url, cfg.log.level, cfg.admin.http.host, cfg.admin.http.port, cfg.ingest.http.host, cfg.ingest.http.port, cfg.ingest.http.trustedProxies],
    [env.DATABASE_URL, env.REDIS_URL, 'debug', '0.0.0.0', 9181, '127.0.0.1', 9180, ['10.0.0.0/8']],
  );
  // Every override in the table is exercised above.
  assert.deepEqual(ENV_OVERRIDES.map((o) => o.env).filter((name) => !(name in env)), []);
  const empty = loadConfig(file, { BRP_KEY: 'k', LOG_LEVEL: '', INGEST_HTTP_PORT: '' });
  assert.deepEqual([empty.log.level, empty.ingest.http.port], ['info', 8080], 'an empty variable is not set');
  assert.throws(() => loadConfig(file, { BRP_KEY: 'k', LOG_LEVEL: 'loud' }), /log\.level/);
  assert.throws(() => loadConfig(file, { BRP_KEY: 'k', INGEST_HTTP_PORT: '9181', ADMIN_HTTP_PORT: '9181' }), /admin\.http\.port: must differ from ingest\.http\.port/);
});

test('each default is written once in the schema: a section left out gets its keys\' defaults (zod prefault)', () => {
  const schema = readFileSync(new URL('../../src/config/schema.ts', import.meta.url), 'utf8');
  assert.doesNotMatch(schema, /\.default\(\{\s*\w/, 'no section default restating its keys\' defaults: .prefault({})');
  const cfg = configFromObject({ tenants: { a: tenant }, retention }, 'x.yaml', { BRP_KEY: 'k' });
  assert.deepEqual(cfg.tenants.a?.timeouts, { connectMs: 5_000, responseMs: 30_000 });
  assert.deepEqual(cfg.tenants.a?.retry, { attempts: 10, baseDelayMs: 2_000, maxDelayMs: 15 * 60_000, jitter: 0.2 });
  assert.deepEqual(cfg.queue, { lockDurationMs: 30_000, maxStalledCount: 10, keepCompletedSeconds: 0, reconcileIntervalMs: 60_000, reconcileOrdersPerSec: 2_000 });
  assert.deepEqual(cfg.log, { level: 'info' });
  assert.equal(cfg.ingest.http.port, 8080);
  assert.deepEqual(cfg.ingest.http.authFailures, { maxFailures: 10, windowSeconds: 60, blockSeconds: 300 });
  assert.deepEqual(cfg.admin.authFailures, { maxFailures: 10, windowSeconds: 60, blockSeconds: 300 });
  assert.equal(cfg.admin.settledCountsMaxAgeSeconds, 30);
  assert.equal(configFromObject({ tenants: { a: tenant }, retention, admin: { settledCountsMaxAgeSeconds: 5 } }, 'x.yaml', { BRP_KEY: 'k' }).admin.settledCountsMaxAgeSeconds, 5);
  assert.throws(() => configFromObject({ tenants: { a: tenant }, retention, admin: { settledCountsMaxAgeSeconds: 0 } }, 'x.yaml', { BRP_KEY: 'k' }), /admin\.settledCountsMaxAgeSeconds/);
  const partial = configFromObject({ tenants: { a: { ...tenant, retry: { attempts: 3 } } }, retention, ingest: { http: { authFailures: { maxFailures: 2 } } } }, 'x.yaml', { BRP_KEY: 'k' });
  assert.deepEqual(partial.tenants.a?.retry, { attempts: 3, baseDelayMs: 2_000, maxDelayMs: 15 * 60_000, jitter: 0.2 });
  assert.deepEqual(partial.ingest.http.authFailures, { maxFailures: 2, windowSeconds: 60, blockSeconds: 300 });
});

test('${ENV} is substituted; REDIS_URL overrides redis.url', () => {
  const cfg = configFromObject({ tenants: { a: tenant }, retention }, 'x.yaml', { BRP_KEY: 'k-123', REDIS_URL: 'redis://10.0.0.1:6380' });
  assert.equal(cfg.tenants.a?.apiKey, 'k-123');
  assert.equal(cfg.redis.url, 'redis://10.0.0.1:6380');
  assert.equal(cfg.tenants.a?.retry.attempts, 10);
  assert.equal(cfg.tenants.a?.personnummerForm, 'short');
});

test('a missing variable is named, with the key that needs it', () => {
  assert.throws(() => configFromObject({ tenants: { a: tenant }, retention }, 'x.yaml', {}), (err: unknown) =>
    isPartnerdError(err, 'PD_CONFIG_INVALID') && /tenants\.a\.apiKey: environment variable BRP_KEY is not set/.test(err.message));
});

test('every bad key is reported with its path, never the secret', () => {
  assert.throws(
    () => configFromObject({ tenants: { a: { ...tenant, rateLimit: { max: 0, durationMs: 1000 }, inDoubtPolicy: 'maybe', bogus: 1 } }, retention }, 'x.yaml', { BRP_KEY: 'sekret-777' }),
    (err: unknown) => {
      assert.ok(isPartnerdError(err, 'PD_CONFIG_INVALID'), String(err));
      assert.match(err.message, /tenants\.a\.rateLimit\.max/);
      assert.match(err.message, /tenants\.a\.inDoubtPolicy/);
      assert.match(err.message, /bogus/);
      assert.doesNotMatch(err.message, /sekret-777/);
      return true;
    },
  );
});

test('apiKeyFile reads the secret from a file; exactly one of apiKey/apiKeyFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pdcfg-'));
  writeFileSync(join(dir, 'key'), 'from-file\n');
  const cfg = configFromObject({ tenants: { a: { baseUrl: tenant.baseUrl, apiKeyFile: join(dir, 'key') } }, retention }, join(dir, 'c.yaml'), {});
  assert.equal(cfg.tenants.a?.apiKey, 'from-file');
  assert.throws(() => configFromObject({ tenants: { a: { baseUrl: tenant.baseUrl } }, retention }, 'x.yaml', {}), /exactly one of apiKey and apiKeyFile/);
});

test('an unreadable file is a clear error', () => {
  assert.throws(() => loadConfig('/nonexistent/partnerd.yaml', {}), (err: unknown) => isPartnerdError(err, 'PD_CONFIG_UNREADABLE'));
});

test('the ledger database: defaults, DATABASE_URL overrides the URL, the password comes from a file', () => {
  const defaults = configFromObject({ tenants: { a: tenant }, retention }, 'x.yaml', { BRP_KEY: 'k' });
  assert.deepEqual(defaults.database, { url: 'postgres://postgres@127.0.0.1:5432/partnerd', poolSize: 10, connectTimeoutMs: 5_000, statementTimeoutMs: 30_000 });
  const dir = mkdtempSync(join(tmpdir(), 'pdcfg-'));
  writeFileSync(join(dir, 'pgpass'), 's3cret-db-pass\n');
  const cfg = configFromObject(
    { database: { url: 'postgres://partnerd@db:5432/partnerd', passwordFile: 'pgpass', poolSize: 4 }, tenants: { a: tenant }, retention },
    join(dir, 'c.yaml'), { BRP_KEY: 'k', DATABASE_URL: 'postgresql://partnerd@primary.internal:6432/ledger' },
  );
  assert.equal(cfg.database.password, 's3cret-db-pass', 'relative to the config file, trimmed');
  assert.equal(databaseAddress(cfg.database.url), 'primary.internal:6432', 'DATABASE_URL decides where');
  assert.doesNotMatch(cfg.database.url, /s3cret/, 'the password is not put into the URL');
  // What pg makes of it, exactly as the ledger builds its pool and the migration client: the
  // password from the file, also when the URL has none (pg would read a connectionString over it).
  const asPg = (c: typeof cfg) => new pg.Client(connectionOptions(c.database)) as unknown as { password: string; user: string; database: string; host: string; port: number };
  assert.deepEqual([asPg(cfg).host, asPg(cfg).port], ['primary.internal', 6432]);
  assert.deepEqual([asPg(cfg).password, asPg(cfg).user, asPg(cfg).database], ['s3cret-db-pass', 'partnerd', 'ledger']);
  writeFileSync(join(dir, 'pgpass-odd'), 'p@ss:w/rd%20 ü#?\n');
  const odd = configFromObject({ database: { url: 'postgres://partnerd:in-url@db:5432/partnerd', passwordFile: 'pgpass-odd' }, tenants: { a: tenant }, retention }, join(dir, 'c.yaml'), { BRP_KEY: 'k' });
  assert.equal(asPg(odd).password, 'p@ss:w/rd%20 ü#?', 'the file overrides a password in the URL, any character');
  assert.equal(cfg.database.poolSize, 4);
  assert.throws(() => configFromObject({ database: { url: 'mysql://x' }, tenants: { a: tenant }, retention }, 'x.yaml', { BRP_KEY: 'k' }), /database\.url: must be a postgres/);
  assert.throws(() => configFromObject({ database: { passwordFile: '/nonexistent/pw' }, tenants: { a: tenant }, retention }, 'x.yaml', { BRP_KEY: 'k' }),
    /database\.passwordFile: cannot read secret file \(ENOENT\)/);
});

test('Redis high availability: sentinels with the master name, password files, a CA for TLS; each problem named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pdcfg-'));
  writeFileSync(join(dir, 'redis-pass'), 'r3dis-pass\n');
  writeFileSync(join(dir, 'sentinel-pass'), 's3ntinel\n');
  writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const cfg = configFromObject({
    redis: {
      url: 'rediss://partnerd@redis/2', sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }], name: 'partnerd',
      passwordFile: 'redis-pass', sentinelPasswordFile: 'sentinel-pass', tls: { caFile: 'ca.pem', servername: 'redis.internal' },
    },
    tenants: { a: tenant }, retention,
  }, join(dir, 'c.yaml'), { BRP_KEY: 'k' });
  assert.equal(cfg.redis.password, 'r3dis-pass');
  assert.equal(cfg.redis.sentinelPassword, 's3ntinel');
  assert.deepEqual(cfg.redis.sentinels, [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }]);
  assert.match(cfg.redis.tls?.ca ?? '', /BEGIN CERTIFICATE/);
  assert.equal(cfg.redis.tls?.servername, 'redis.internal');
  assert.throws(() => configFromObject({ redis: { sentinels: [{ host: 's1', port: 26379 }] }, tenants: { a: tenant }, retention }, 'x.yaml', { BRP_KEY: 'k' }),
    /redis\.name: sentinels and name go together/);
  writeFileSync(join(dir, 'not-a-ca'), 'hello');
  assert.throws(() => configFromObject({ redis: { tls: { caFile: 'not-a-ca' } }, tenants: { a: tenant }, retention }, join(dir, 'c.yaml'), { BRP_KEY: 'k' }),
    /redis\.tls\.caFile: not a PEM certificate/);
});

test('push-port limits: defaults without an ingest section; timeouts and caps that contradict each other are refused', () => {
  const cfg = configFromObject({ tenants: { a: tenant }, retention }, 'x.yaml', { BRP_KEY: 'k' });
  assert.deepEqual(
    [cfg.ingest.http.headersTimeoutMs, cfg.ingest.http.requestTimeoutMs, cfg.ingest.http.maxConnectionsPerClient, cfg.ingest.http.authFailures.maxFailures],
    [10_000, 30_000, 16, 10],
  );
  const partial = configFromObject({ tenants: { a: tenant }, retention, ingest: { http: { port: 9000, authFailures: { blockSeconds: 60 } } } }, 'x.yaml', { BRP_KEY: 'k' });
  assert.deepEqual([partial.ingest.http.port, partial.ingest.http.requestTimeoutMs, partial.ingest.http.authFailures], [9000, 30_000, { maxFailures: 10, windowSeconds: 60, blockSeconds: 60 }]);
  assert.throws(
    () => configFromObject({ tenants: { a: tenant }, retention, ingest: { http: { headersTimeoutMs: 40_000 } } }, 'x.yaml', { BRP_KEY: 'k' }),
    /ingest\.http\.headersTimeoutMs: must not be longer than requestTimeoutMs/,
  );
  assert.throws(
    () => configFromObject({ tenants: { a: tenant }, retention, ingest: { http: { maxConnections: 4 } } }, 'x.yaml', { BRP_KEY: 'k' }),
    /ingest\.http\.maxConnectionsPerClient: must not be more than maxConnections/,
  );
  const proxies = configFromObject({ tenants: { a: tenant }, retention, ingest: { http: { trustedProxies: ['10.0.0.0/8', '::1', '192.168.1.5'] } } }, 'x.yaml', { BRP_KEY: 'k' });
  assert.deepEqual(proxies.ingest.http.trustedProxies, ['10.0.0.0/8', '::1', '192.168.1.5']);
  assert.throws(
    () => configFromObject({ tenants: { a: tenant }, retention, ingest: { http: { trustedProxies: ['proxy.local'] } } }, 'x.yaml', { BRP_KEY: 'k' }),
    /ingest\.http\.trustedProxies\.0: must be an IP address or a CIDR range/,
  );
});

test('admin.http: loopback :8081 by default; ADMIN_HTTP_HOST / ADMIN_HTTP_PORT override it; never the push-ingest port', () => {
  const plain = configFromObject({ tenants: { a: tenant }, retention }, 'x.yaml', { BRP_KEY: 'k' });
  assert.deepEqual(plain.admin.http, { enabled: true, host: '127.0.0.1', port: 8081 });
  const shipped = loadConfig('config/partnerd.yaml', SHIPPED_ENV);
  assert.deepEqual(shipped.admin.http, { enabled: true, host: '127.0.0.1', port: 8081 });

  const env = { BRP_KEY: 'k', ADMIN_HTTP_HOST: '0.0.0.0', ADMIN_HTTP_PORT: '9181' };
  const overridden = configFromObject({ tenants: { a: tenant }, retention, admin: { http: { host: '127.0.0.1', port: 8081 } } }, 'x.yaml', env);
  assert.deepEqual(overridden.admin.http, { enabled: true, host: '0.0.0.0', port: 9181 });
  assert.throws(() => configFromObject({ tenants: { a: tenant }, retention }, 'x.yaml', { BRP_KEY: 'k', ADMIN_HTTP_PORT: 'eighty' }), /admin\.http\.port/);

  assert.throws(
    () => configFromObject({ tenants: { a: tenant }, retention, admin: { http: { port: 8080 } } }, 'x.yaml', { BRP_KEY: 'k' }),
    (err: unknown) => isPartnerdError(err, 'PD_CONFIG_INVALID') && /admin\.http\.port: must differ from ingest\.http\.port/.test(err.message),
  );
  // With ingest off there is no push port to share.
  const noIngest = configFromObject({ tenants: { a: tenant }, retention, admin: { http: { port: 8080 } }, ingest: { http: { enabled: false } } }, 'x.yaml', { BRP_KEY: 'k' });
  assert.equal(noIngest.admin.http.port, 8080);
});

test('retention: defaults; the erasure key is required, at least 32 characters, from the config or a file', () => {
  const cfg = configFromObject({ tenants: { a: tenant }, retention }, 'x.yaml', { BRP_KEY: 'k' });
  assert.deepEqual(cfg.retention, { personalDataDays: 30, fileDays: 30, recordYears: 7, schedule: '30 3 * * *', erasureKey: ERASURE_KEY });
  assert.throws(() => configFromObject({ tenants: { a: tenant } }, 'x.yaml', { BRP_KEY: 'k' }),
    /retention\.erasureKey: exactly one of erasureKey and erasureKeyFile must be set/);
  assert.throws(() => configFromObject({ tenants: { a: tenant }, retention: { erasureKey: 'short-key' } }, 'x.yaml', { BRP_KEY: 'k' }),
    (err: unknown) => isPartnerdError(err, 'PD_CONFIG_INVALID') && /retention\.erasureKey: at least 32 characters/.test(err.message) && !err.message.includes('short-key'));
  const dir = mkdtempSync(join(tmpdir(), 'pdcfg-'));
  writeFileSync(join(dir, 'erasure-key'), `${ERASURE_KEY}\n`);
  const fromFile = configFromObject({ tenants: { a: tenant }, retention: { erasureKeyFile: 'erasure-key', personalDataDays: 14 } }, join(dir, 'c.yaml'), { BRP_KEY: 'k' });
  assert.equal(fromFile.retention.erasureKey, ERASURE_KEY);
  assert.equal(fromFile.retention.personalDataDays, 14);
  writeFileSync(join(dir, 'short-key'), 'too-short\n');
  assert.throws(() => configFromObject({ tenants: { a: tenant }, retention: { erasureKeyFile: 'short-key' } }, join(dir, 'c.yaml'), { BRP_KEY: 'k' }),
    /retention\.erasureKeyFile: the key must be at least 32 characters/);
  assert.throws(() => configFromObject({ tenants: { a: tenant }, retention: { ...retention, erasureKeyFile: 'erasure-key' } }, join(dir, 'c.yaml'), { BRP_KEY: 'k' }),
    /exactly one of erasureKey and erasureKeyFile/);
});
