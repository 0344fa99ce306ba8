import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { Agent, request as undiciRequest } from 'undici';
import type { Config } from '../../../src/config/schema.js';
import { benifySignature } from '../../../src/ingest/http/benify-signature.js';
import { startIngestServer, type IngestServer } from '../../../src/ingest/http/ingest-server.js';
import { events } from '../../../support/pipeline.js';
import { ACTIWAY_PASSWORD, ACTIWAY_USER, BENIFY_SECRET, actiwayOrder, basic, benifyOrder, nowSeconds, startPushRig, type PushRig } from './helpers.js';

/**
 * The push port under abuse, with real sockets: slow headers and slow bodies are cut by the
 * configured timeouts, idle keep-alive connections are closed, connections are capped in total
 * and per client address, a request that fails authentication is answered and closed without its
 * body being read, and credential guessing gets 429. Short limits are configured so the tests are
 * quick; the bounds asserted are generous (a loaded machine), the timeouts they check are short.
 * Other client addresses are real: Linux routes all of 127.0.0.0/8 to the loopback interface.
 */

const LIMITS = {
  headersTimeoutMs: 400,
  requestTimeoutMs: 1_000,
  keepAliveTimeoutMs: 300,
  maxRequestsPerSocket: 2,
  maxConnections: 50,
  maxConnectionsPerClient: 20,
  authFailures: { maxFailures: 5, windowSeconds: 60, blockSeconds: 2 },
};

let rig: PushRig;
let server: IngestServer;
const extraServers: IngestServer[] = [];

/** An ingest server on the rig's daemon with other `ingest.http` settings. */
async function serverWith(http: Partial<Config['ingest']['http']>): Promise<IngestServer> {
  const services = rig.pipeline.services;
  const config: Config = { ...services.config, ingest: { http: { ...services.config.ingest.http, ...http } } };
  const s = await startIngestServer({ ...services, config }, { host: '127.0.0.1', port: 0 });
  extraServers.push(s);
  return s;
}

before(async () => {
  rig = await startPushRig();
  server = await serverWith(LIMITS);
});
after(async () => {
  for (const s of extraServers) await s.close();
  await rig?.close();
});

// ---- raw sockets

interface Raw {
  socket: Socket;
  /** Everything received so far. */
  text(): string;
  /** Resolves with ms since the connection opened, when the server has closed it. */
  closed: Promise<number>;
}

async function open(url: string, localAddress = '127.0.0.1'): Promise<Raw> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port), localAddress });
  let received = '';
  socket.on('data', (d) => { received += d.toString('latin1'); });
  socket.on('error', () => undefined); // a reset is one way of being closed
  const started = performance.now();
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now() - started)));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('close', () => reject(new Error('closed before connecting')));
  });
  return { socket, text: () => received, closed };
}

/** Writes one byte at a time every `everyMs` until the socket closes or `maxMs` passed. */
function trickle(raw: Raw, everyMs: number, maxMs: number): void {
  const until = performance.now() + maxMs;
  const timer = setInterval(() => {
    if (raw.socket.destroyed || performance.now() > until) return clearInterval(timer);
    raw.socket.write('x');
  }, everyMs);
  void raw.closed.then(() => clearInterval(timer));
}

/** `closed` or a failure after `ms`. */
function within(raw: Raw, ms: number, what: string): Promise<number> {
  return Promise.race([raw.closed, new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`${what}: still open after ${ms} ms`)), ms))]);
}

async function waitUntil(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// ---- HTTP from a chosen client address

const agents = new Map<string, Agent>();
async function from(localAddress: string, url: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}) {
  let agent = agents.get(localAddress);
  if (!agent) agents.set(localAddress, (agent = new Agent({ localAddress })));
  const r = await undiciRequest(url, { method: (options.method ?? 'GET') as 'GET', headers: options.headers, body: options.body, dispatcher: agent });
  return { status: r.statusCode, headers: r.headers, text: await r.body.text() };
}
after(async () => { for (const a of agents.values()) await a.close(); });

function actiwayFrom(localAddress: string, url: string, xml: string, password: string) {
  return from(localAddress, `${url}/portals/actiway/orders`, {
    method: 'POST', headers: { 'content-type': 'application/xml', authorization: basic(ACTIWAY_USER, password) }, body: xml,
  });
}

function benifyFrom(localAddress: string, url: string, body: string, secret = BENIFY_SECRET) {
  const ts = nowSeconds();
  return from(localAddress, `${url}/portals/benify/orders`, {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', 'x-benify-timestamp': String(ts), 'x-benify-signature': benifySignature(secret, ts, body) },
  });
}

const PLAUSIBLE_SIGNATURE = `v1=${'ab'.repeat(32)}`;

describe('push port: slow clients', () => {
  test('a slow body is cut off within requestTimeoutMs with 408, and the daemon answers others meanwhile', async () => {
    const raw = await open(server.url);
    raw.socket.write(
      `POST /portals/benify/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n` +
        `X-Benify-Timestamp: ${nowSeconds()}\r\nX-Benify-Signature: ${PLAUSIBLE_SIGNATURE}\r\n\r\n{`,
    );
    trickle(raw, 100, 10_000);
    // Meanwhile, on other connections: served as usual.
    const busy = await from('127.0.0.1', `${server.url}/portals/benify/orders/BNF-NONE`);
    assert.equal(busy.status, 401);
    const ms = await within(raw, 5_000, 'the slow body');
    assert.ok(ms >= LIMITS.requestTimeoutMs - 50, `cut after ${ms.toFixed(0)} ms, not before the timeout`);
    assert.ok(ms < LIMITS.requestTimeoutMs + 2_000, `cut after ${ms.toFixed(0)} ms`);
    assert.match(raw.text(), /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.match(raw.text(), /"message":"the request took too long to arrive"/);
  });

  test('slow headers are cut off within headersTimeoutMs', async () => {
    const raw = await open(server.url);
    raw.socket.write('POST /portals/actiway/orders HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    trickle(raw, 50, 10_000);
    const ms = await within(raw, 5_000, 'the slow headers');
    assert.ok(ms < LIMITS.headersTimeoutMs + 2_000, `cut after ${ms.toFixed(0)} ms`);
    assert.match(raw.text(), /^HTTP\/1\.1 408 /);
  });

  test('an idle keep-alive connection is closed after keepAliveTimeoutMs; the last request a socket may carry says Connection: close', async () => {
    const idle = await open(server.url);
    idle.socket.write('GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitUntil(() => idle.text().includes('"not-found"'), 2_000, 'the first answer');
    const answeredAt = performance.now();
    await within(idle, 3_000, 'the idle keep-alive connection');
    assert.ok(performance.now() - answeredAt < LIMITS.keepAliveTimeoutMs + 2_000);

    const busy = await open(server.url);
    busy.socket.write('GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n');
    await within(busy, 3_000, 'the connection after maxRequestsPerSocket requests');
    const answers = busy.text().split(/(?=HTTP\/1\.1 )/);
    assert.equal(answers.length, 2);
    assert.match(answers[0]!, /\r\nConnection: keep-alive\r\n/i);
    assert.match(answers[1]!, /\r\nConnection: close\r\n/i);
  });
});

describe('push port: failed authentication', () => {
  test('a request that fails authentication is answered and its connection closed, the rest of its body never read', async () => {
    const actiway = await open(server.url);
    actiway.socket.write(
      `POST /portals/actiway/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\nContent-Length: 1000000\r\n` +
        `Authorization: ${basic(ACTIWAY_USER, 'not-the-password')}\r\n\r\n<ActiwayOrder`,
    );
    await within(actiway, 2_000, 'the refused Actiway request');
    assert.match(actiway.text(), /^HTTP\/1\.1 401 Unauthorized\r\n/);
    assert.match(actiway.text(), /\r\nconnection: close\r\n/i);
    assert.ok(actiway.text().endsWith('<ActiwayReceipt status="unauthorized"/>'));

    const benify = await open(server.url);
    benify.socket.write(`POST /portals/benify/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"orderId":`);
    await within(benify, 2_000, 'the unsigned Benify request');
    assert.match(benify.text(), /^HTTP\/1\.1 401 Unauthorized\r\n/);
    assert.ok(benify.text().endsWith('{"status":"unauthorized"}'));
  });

  test('Basic auth guessing: 429 with Retry-After after maxFailures, the right password too, from that address only; one alert', async () => {
    const guesser = '127.0.0.11';
    const xml = actiwayOrder('AW-LIM-1');
    for (let i = 0; i < LIMITS.authFailures.maxFailures; i++) {
      assert.equal((await actiwayFrom(guesser, server.url, xml, `guess-${i}-xxxxxxxx`)).status, 401, `guess ${i + 1}`);
    }
    const over = await actiwayFrom(guesser, server.url, xml, 'guess-over-xxxxxxxx');
    assert.equal(over.status, 429);
    assert.equal(over.text, '<ActiwayReceipt status="too-many-requests"/>');
    const retryAfter = Number(over.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= LIMITS.authFailures.blockSeconds, `Retry-After ${over.headers['retry-after']}`);
    assert.equal(over.headers.connection, 'close');
    // Blocked: the right password does not tell itself apart either.
    assert.equal((await actiwayFrom(guesser, server.url, xml, ACTIWAY_PASSWORD)).status, 429);
    // Other addresses, and the same address at another portal, are unaffected.
    assert.equal((await actiwayFrom('127.0.0.12', server.url, xml, ACTIWAY_PASSWORD)).status, 202);
    assert.equal((await benifyFrom(guesser, server.url, JSON.stringify(benifyOrder('BNF-LIM-OTHER')))).status, 202);

    const alerts = events(rig.pipeline.lines, 'ingest.auth_failures').filter((l) => l.realm === 'actiway');
    assert.equal(alerts.length, 1);
    assert.deepEqual(
      [alerts[0]!.alert, alerts[0]!.client, alerts[0]!.failures, alerts[0]!.maxFailures, alerts[0]!.windowSeconds, alerts[0]!.blockedSeconds],
      [true, guesser, LIMITS.authFailures.maxFailures + 1, LIMITS.authFailures.maxFailures, 60, LIMITS.authFailures.blockSeconds],
    );
    const logged = JSON.stringify(rig.pipeline.lines);
    assert.ok(!logged.includes('guess-'), 'no tried password is logged');
    assert.ok(!logged.includes(Buffer.from(`${ACTIWAY_USER}:guess-0-xxxxxxxx`).toString('base64')), 'no Authorization header is logged');

    // The block ends; the right password works again.
    await new Promise((r) => setTimeout(r, (retryAfter + 0.3) * 1000));
    assert.equal((await actiwayFrom(guesser, server.url, actiwayOrder('AW-LIM-2'), ACTIWAY_PASSWORD)).status, 202);
  });

  test('signature guessing: 429 after maxFailures; a burst of failures logs one alert', async () => {
    const guesser = '127.0.0.13';
    const body = JSON.stringify(benifyOrder('BNF-LIM-1'));
    for (let i = 0; i < LIMITS.authFailures.maxFailures; i++) {
      assert.equal((await benifyFrom(guesser, server.url, body, `wrong-secret-${i}-xxxxxxxxxx`)).status, 401, `guess ${i + 1}`);
    }
    for (let i = 0; i < 30; i++) {
      const r = await benifyFrom(guesser, server.url, body, `wrong-secret-burst-${i}`);
      assert.equal(r.status, 429);
      assert.equal(r.text, '{"status":"too-many-requests"}');
      assert.ok(Number(r.headers['retry-after']) >= 1);
    }
    // The status look-up is the same portal: blocked too.
    assert.equal((await from(guesser, `${server.url}/portals/benify/orders/BNF-LIM-1`)).status, 429);
    assert.equal((await benifyFrom('127.0.0.14', server.url, body)).status, 202, 'another address is served');
    const alerts = events(rig.pipeline.lines, 'ingest.auth_failures').filter((l) => l.realm === 'benify');
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.client, guesser);
  });
});

describe('push port: connection caps', () => {
  test('N+1 connections from one address are refused, other addresses are served meanwhile; the total is capped too', async () => {
    const capped = await serverWith({ headersTimeoutMs: 5_000, requestTimeoutMs: 10_000, keepAliveTimeoutMs: 10_000, maxConnections: 5, maxConnectionsPerClient: 3 });
    const held: Raw[] = [];
    for (let i = 0; i < 3; i++) {
      const raw = await open(capped.url, '127.0.0.21');
      raw.socket.write('GET /held HTTP/1.1\r\nHost: x\r\n\r\n'); // answered, then kept alive
      await waitUntil(() => raw.text().includes('"not-found"'), 2_000, `held connection ${i + 1}`);
      held.push(raw);
    }
    const extra = await open(capped.url, '127.0.0.21');
    extra.socket.write('GET /refused HTTP/1.1\r\nHost: x\r\n\r\n');
    await within(extra, 2_000, 'the connection over the per-client cap');
    assert.equal(extra.text(), '', 'refused before a byte was read or written');

    const other = await from('127.0.0.22', `${capped.url}/portals/benify/orders/BNF-NONE`);
    assert.equal(other.status, 401, 'another address is served while 127.0.0.21 is at its cap');

    // One held connection closes: the address may connect again.
    held.pop()!.socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const again = await open(capped.url, '127.0.0.21');
    again.socket.write('GET /again HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitUntil(() => again.text().includes('"not-found"'), 2_000, 'a connection after one closed');
    held.push(again);

    // Total: 3 held + 2 from elsewhere = 5; the sixth, from yet another address, is closed at once.
    for (const address of ['127.0.0.23', '127.0.0.24']) {
      const raw = await open(capped.url, address);
      raw.socket.write('GET /held HTTP/1.1\r\nHost: x\r\n\r\n');
      await waitUntil(() => raw.text().includes('"not-found"'), 2_000, `held connection from ${address}`);
      held.push(raw);
    }
    const sixth = await open(capped.url, '127.0.0.25');
    await within(sixth, 2_000, 'the connection over the total cap');
    assert.equal(sixth.text(), '');

    const refused = events(rig.pipeline.lines, 'ingest.connections_refused');
    assert.deepEqual(refused.map((l) => [l.limit, l.client ?? null]), [['client', '127.0.0.21'], ['total', null]]);
    for (const raw of held) raw.socket.destroy();
  });

  test('behind a trusted proxy: clients are told apart by X-Forwarded-For, and the proxy\'s connections are capped only in total', async () => {
    const proxy = '127.0.0.31';
    const behind = await serverWith({ trustedProxies: [proxy], maxConnectionsPerClient: 2, authFailures: { maxFailures: 2, windowSeconds: 60, blockSeconds: 60 } });
    const held: Raw[] = [];
    for (let i = 0; i < 3; i++) {
      const raw = await open(behind.url, proxy);
      raw.socket.write('GET /held HTTP/1.1\r\nHost: x\r\n\r\n');
      await waitUntil(() => raw.text().includes('"not-found"'), 2_000, `proxy connection ${i + 1}`);
      held.push(raw);
    }
    const xml = actiwayOrder('AW-PROXY-1');
    const viaProxy = (client: string, password: string) => from(proxy, `${behind.url}/portals/actiway/orders`, {
      method: 'POST', body: xml, headers: { 'content-type': 'application/xml', authorization: basic(ACTIWAY_USER, password), 'x-forwarded-for': client },
    });
    assert.deepEqual([(await viaProxy('203.0.113.7', 'wrong-1-xxxxxxxx')).status, (await viaProxy('203.0.113.7', 'wrong-2-xxxxxxxx')).status], [401, 401]);
    assert.equal((await viaProxy('203.0.113.7', 'wrong-3-xxxxxxxx')).status, 429);
    assert.equal((await viaProxy('203.0.113.8', ACTIWAY_PASSWORD)).status, 202, 'another client behind the same proxy');
    // From an address that is not a trusted proxy, X-Forwarded-For is not believed.
    const direct = (password: string) => from('127.0.0.32', `${behind.url}/portals/actiway/orders`, {
      method: 'POST', body: xml, headers: { 'content-type': 'application/xml', authorization: basic(ACTIWAY_USER, password), 'x-forwarded-for': `203.0.113.${Math.floor(Math.random() * 200)}` },
    });
    assert.deepEqual([(await direct('wrong-4-xxxxxxxx')).status, (await direct('wrong-5-xxxxxxxx')).status, (await direct('wrong-6-xxxxxxxx')).status], [401, 401, 429]);
    const alert = events(rig.pipeline.lines, 'ingest.auth_failures').find((l) => l.client === '203.0.113.7');
    assert.equal(alert?.realm, 'actiway');
    for (const raw of held) raw.socket.destroy();
  });
});
