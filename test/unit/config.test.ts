import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromObject, loadConfig } from '../../src/config/load-config.js';
import { isPartnerdError } from '../../src/errors.js';

const tenant = { baseUrl: 'https://api.brpsystems.se/brpgog/', apiKey: '${BRP_KEY}' };

const ERASURE_KEY = 'config-test-erasure-key-0123456789abcdef';
/** Every config needs the erasure key (retention.erasureKey is required). */
const retention = { erasureKey: ERASURE_KEY };

const PORTAL_SECRETS = { BENIFY_SECRET: 'benify-secret-0123456789', ACTIWAY_PASSWORD: 'actiway-pass', WELLNET_TOKEN: 'wt', EPASSI_CLIENT_SECRET: 'es', PARTNERD_ERASURE_KEY: ERASURE_KEY };

test('the shipped example config loads with its defaults once the portal secrets are given', () => {
  assert.throws(() => loadConfig('config/partnerd.yaml', {}), /portals\.benify\.secret: environment variable BENIFY_SECRET is not set/);
  const { PARTNERD_ERASURE_KEY: _key, ...withoutKey } = PORTAL_SECRETS;
  assert.throws(() => loadConfig('config/partnerd.yaml', withoutKey), /retention\.erasureKey: environment variable PARTNERD_ERASURE_KEY is not set/);
  const cfg = loadConfig('config/partnerd.yaml', PORTAL_SECRETS);
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
  try {
    configFromObject({ tenants: { a: { ...tenant, rateLimit: { max: 0, durationMs: 1000 }, inDoubtPolicy: 'maybe', bogus: 1 } }, retention }, 'x.yaml', { BRP_KEY: 'sekret-777' });
    assert.fail('should throw');
  } catch (err) {
    assert.ok(isPartnerdError(err, 'PD_CONFIG_INVALID'));
    assert.match(err.message, /tenants\.a\.rateLimit\.max/);
    assert.match(err.message, /tenants\.a\.inDoubtPolicy/);
    assert.match(err.message, /bogus/);
    assert.doesNotMatch(err.message, /sekret-777/);
  }
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
  assert.equal(cfg.database.url, 'postgresql://partnerd@primary.internal:6432/ledger');
  assert.equal(cfg.database.password, 's3cret-db-pass', 'relative to the config file, trimmed');
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
  const shipped = loadConfig('config/partnerd.yaml', PORTAL_SECRETS);
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
