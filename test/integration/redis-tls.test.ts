import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../support/private-redis.js';
import { startPipeline } from '../../support/pipeline.js';
import { sampleOrderInput } from '../../support/orders.js';

/**
 * Redis over TLS with a private CA and a password from a file: a TLS-only redis-server (no
 * plain port), a throwaway CA and server certificate made with openssl, and one order from
 * intake to BRP through the daemon on that connection. A client that does not trust the CA is
 * refused.
 */
test('rediss:// with redis.tls.caFile and redis.passwordFile: the daemon works over TLS; an untrusted server is refused', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'partnerd-redis-tls-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=partnerd test CA', '-keyout', 'ca.key', '-out', 'ca.pem');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'redis.key', '-out', 'redis.csr');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', 'redis.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'san.ext', '-out', 'redis.pem');
  writeFileSync(join(dir, 'redis-password'), 'tls-test-redis-pass\n');

  const port = await freePort();
  const server = spawn('redis-server', [
    '--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--tls-cert-file', join(dir, 'redis.pem'), '--tls-key-file', join(dir, 'redis.key'), '--tls-ca-cert-file', join(dir, 'ca.pem'),
    '--tls-auth-clients', 'no', '--requirepass', 'tls-test-redis-pass',
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
  t.after(() => { server.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); });
  const ca = readFileSync(join(dir, 'ca.pem'), 'utf8');
  for (let i = 0; ; i++) {
    const probe = new Redis(`rediss://127.0.0.1:${port}`, { password: 'tls-test-redis-pass', tls: { ca }, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      break;
    } catch {
      probe.disconnect();
      if (i > 100) assert.fail('the TLS redis-server did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const p = await startPipeline({
    extra: { redis: { url: `rediss://127.0.0.1:${port}`, prefix: 'pdtls', passwordFile: join(dir, 'redis-password'), tls: { caFile: join(dir, 'ca.pem') } } },
  });
  t.after(() => p.close());
  const r = await p.services.intake.accept(sampleOrderInput('TLS-1'));
  assert.equal(r.status, 'accepted');
  const rec = await p.waitForState((r as { key: string }).key, 'confirmed');
  assert.ok(rec.brpOrderNumber);
  assert.ok((await p.services.redis.info('server')).includes('redis_version'), 'the commands connection is this TLS server');

  // Without the CA the server's certificate is not trusted: no connection.
  const untrusting = new Redis(`rediss://127.0.0.1:${port}`, { password: 'tls-test-redis-pass', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  const refusal = new Promise<Error>((r) => untrusting.once('error', r));
  await assert.rejects(untrusting.connect());
  assert.match((await refusal).message, /self[- ]signed|unable to verify|certificate/i);
  untrusting.disconnect();
});
