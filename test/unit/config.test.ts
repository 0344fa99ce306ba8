import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromObject, loadConfig } from '../../src/config/load-config.js';
import { isPartnerdError } from '../../src/errors.js';

const tenant = { baseUrl: 'https://api.brpsystems.se/brpgog/', apiKey: '${BRP_KEY}' };

const PORTAL_SECRETS = { BENIFY_SECRET: 'benify-secret-0123456789', ACTIWAY_PASSWORD: 'actiway-pass', WELLNET_TOKEN: 'wt', EPASSI_CLIENT_SECRET: 'es' };

test('the shipped example config loads with its defaults once the portal secrets are given', () => {
  assert.throws(() => loadConfig('config/partnerd.yaml', {}), /portals\.benify\.secret: environment variable BENIFY_SECRET is not set/);
  const cfg = loadConfig('config/partnerd.yaml', PORTAL_SECRETS);
  assert.deepEqual(cfg.portals.benify?.venues.odenplan, { tenant: 'sandbox', businessUnit: '1' });
  assert.equal(cfg.tenants.sandbox?.articles['GYM-12M'], '1001');
  assert.equal(cfg.portals.wellnet?.schedule, '* * * * *');
  assert.equal(cfg.ingest.http.port, 8080);
  assert.equal(cfg.tenants.sandbox?.apiKey, 'sandbox-key');
  assert.equal(cfg.tenants.sandbox?.inDoubtPolicy, 'hold');
  assert.equal(cfg.redis.url, 'redis://127.0.0.1:6379');
});

test('${ENV} is substituted; REDIS_URL overrides redis.url', () => {
  const cfg = configFromObject({ tenants: { a: tenant } }, 'x.yaml', { BRP_KEY: 'k-123', REDIS_URL: 'redis://10.0.0.1:6380' });
  assert.equal(cfg.tenants.a?.apiKey, 'k-123');
  assert.equal(cfg.redis.url, 'redis://10.0.0.1:6380');
  assert.equal(cfg.tenants.a?.retry.attempts, 10);
  assert.equal(cfg.tenants.a?.personnummerForm, 'short');
});

test('a missing variable is named, with the key that needs it', () => {
  assert.throws(() => configFromObject({ tenants: { a: tenant } }, 'x.yaml', {}), (err: unknown) =>
    isPartnerdError(err, 'PD_CONFIG_INVALID') && /tenants\.a\.apiKey: environment variable BRP_KEY is not set/.test(err.message));
});

test('every bad key is reported with its path, never the secret', () => {
  try {
    configFromObject({ tenants: { a: { ...tenant, rateLimit: { max: 0, durationMs: 1000 }, inDoubtPolicy: 'maybe', bogus: 1 } } }, 'x.yaml', { BRP_KEY: 'sekret-777' });
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
  const cfg = configFromObject({ tenants: { a: { baseUrl: tenant.baseUrl, apiKeyFile: join(dir, 'key') } } }, join(dir, 'c.yaml'), {});
  assert.equal(cfg.tenants.a?.apiKey, 'from-file');
  assert.throws(() => configFromObject({ tenants: { a: { baseUrl: tenant.baseUrl } } }, 'x.yaml', {}), /exactly one of apiKey and apiKeyFile/);
});

test('an unreadable file is a clear error', () => {
  assert.throws(() => loadConfig('/nonexistent/partnerd.yaml', {}), (err: unknown) => isPartnerdError(err, 'PD_CONFIG_UNREADABLE'));
});

test('admin.http: loopback :8081 by default; ADMIN_HTTP_HOST / ADMIN_HTTP_PORT override it; never the push-ingest port', () => {
  const plain = configFromObject({ tenants: { a: tenant } }, 'x.yaml', { BRP_KEY: 'k' });
  assert.deepEqual(plain.admin.http, { enabled: true, host: '127.0.0.1', port: 8081 });
  const shipped = loadConfig('config/partnerd.yaml', PORTAL_SECRETS);
  assert.deepEqual(shipped.admin.http, { enabled: true, host: '127.0.0.1', port: 8081 });

  const env = { BRP_KEY: 'k', ADMIN_HTTP_HOST: '0.0.0.0', ADMIN_HTTP_PORT: '9181' };
  const overridden = configFromObject({ tenants: { a: tenant }, admin: { http: { host: '127.0.0.1', port: 8081 } } }, 'x.yaml', env);
  assert.deepEqual(overridden.admin.http, { enabled: true, host: '0.0.0.0', port: 9181 });
  assert.throws(() => configFromObject({ tenants: { a: tenant } }, 'x.yaml', { BRP_KEY: 'k', ADMIN_HTTP_PORT: 'eighty' }), /admin\.http\.port/);

  assert.throws(
    () => configFromObject({ tenants: { a: tenant }, admin: { http: { port: 8080 } } }, 'x.yaml', { BRP_KEY: 'k' }),
    (err: unknown) => isPartnerdError(err, 'PD_CONFIG_INVALID') && /admin\.http\.port: must differ from ingest\.http\.port/.test(err.message),
  );
  // With ingest off there is no push port to share.
  const noIngest = configFromObject({ tenants: { a: tenant }, admin: { http: { port: 8080 } }, ingest: { http: { enabled: false } } }, 'x.yaml', { BRP_KEY: 'k' });
  assert.equal(noIngest.admin.http.port, 8080);
});
