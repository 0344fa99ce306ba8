import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { BrpClient } from '../../src/brp/brp-client.js';
import { classifyOutcome } from '../../src/brp/classify-outcome.js';
import { BodyTooLarge, readCapped } from '../../src/http/http-answer.js';

async function* chunks(...sizes: number[]): AsyncGenerator<Buffer> {
  for (const n of sizes) yield Buffer.alloc(n, 0x61);
}

describe('readCapped', () => {
  test('a body up to the cap is read whole', async () => {
    assert.equal((await readCapped(chunks(4, 6), 10)).length, 10);
  });

  test('a body over the cap is an error, never a truncated body', async () => {
    await assert.rejects(readCapped(chunks(4, 6, 1), 10), (err) => err instanceof BodyTooLarge && err.code === 'BODY_TOO_LARGE');
  });
});

describe('BrpClient: an answer over the cap (1 MiB)', () => {
  // What BRP's URL answers: a 2xx confirmation padded past the cap, or a 4xx <errors> likewise.
  let status = 200;
  const ERRORS = '<errors><error><message>Unknown product</message><code>1003</code></error></errors>';
  let server: Server;
  let client: BrpClient;

  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      res.writeHead(status, { 'content-type': 'application/xml' });
      // Well-formed XML followed by 2 MiB of whitespace: cut at the cap it would still parse.
      res.end(`${status === 200 ? '<confirmation/>' : ERRORS}${' '.repeat(2 * 1024 * 1024)}`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    client = new BrpClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: 'k', timeouts: { connectMs: 2_000, responseMs: 5_000 }, connections: 1 });
  });
  after(async () => {
    await client.close();
    await new Promise((r) => server.close(r));
  });

  test('2xx: confirmed but unread (review), the reason names the cap, no partial body kept', async () => {
    status = 200;
    const exchange = await client.createPartnerOrder('benify', '<order/>');
    assert.equal(exchange.kind === 'response' && exchange.bodyError, 'BODY_TOO_LARGE');
    const outcome = classifyOutcome(exchange);
    assert.equal(outcome.class, 'confirmed_unparsed');
    assert.match(outcome.class === 'confirmed_unparsed' ? outcome.reason : '', /BODY_TOO_LARGE/);
    assert.equal(outcome.class === 'confirmed_unparsed' && outcome.rawBody, '');
  });

  test('4xx: not read as BRP refusing the order (transient, never rejected)', async () => {
    status = 400;
    const outcome = classifyOutcome(await client.createPartnerOrder('benify', '<order/>'));
    assert.equal(outcome.class, 'transient');
  });
});
