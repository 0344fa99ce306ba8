import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request as undiciRequest } from 'undici';
import { parseUntrustedXml, type XmlNode, type XmlValue } from '../../../src/xml/safe-xml.js';
import { benifySignature } from '../../../src/ingest/http/benify-signature.js';
import { startIngestServer, type IngestServer } from '../../../src/ingest/http/ingest-server.js';
import type { FaultConfig } from '../../../src/simulator/index.js';
import { startPipeline, type Pipeline } from '../../../support/pipeline.js';

/** Push-portal configuration for the tests: both portals route `odenplan` to tenant t1, BU 1. */
export const BENIFY_SECRET = 'benify-current-secret-0001';
export const BENIFY_PREVIOUS_SECRET = 'benify-previous-secret-0000';
// The contract's example header (actiway:s3cret) cannot be configured: passwords need 8+ characters.
export const ACTIWAY_USER = 'actiway';
export const ACTIWAY_PASSWORD = 's3cret-actiway';

const ROUTING = {
  venues: { odenplan: { tenant: 't1', businessUnit: 1 } },
  articles: { 'GYM-12M': '1001', TOWEL: '2001', 'CLIP-10': '1002' },
};

export const PUSH_PORTALS = {
  benify: { ...ROUTING, secret: BENIFY_SECRET, previousSecret: BENIFY_PREVIOUS_SECRET, toleranceSeconds: 300 },
  actiway: { ...ROUTING, username: ACTIWAY_USER, password: ACTIWAY_PASSWORD },
};

export interface PushRig {
  pipeline: Pipeline;
  server: IngestServer;
  /** Every partner-order request the daemon sent to BRP, as sent (the simulator keeps no names). */
  brp: BrpRecorder;
  close(): Promise<void>;
}

/** Private Redis + BRP simulator (behind a recorder) + daemon + ingest server on a free port. */
export async function startPushRig(options: { faults?: FaultConfig; extra?: Record<string, unknown> } = {}): Promise<PushRig> {
  const brp = await startBrpRecorder();
  const pipeline = await startPipeline({ faults: options.faults, baseUrl: `${brp.url}/t1/`, extra: { portals: PUSH_PORTALS, ...options.extra } });
  brp.target = pipeline.sim.url;
  const server = await startIngestServer(pipeline.services, { host: '127.0.0.1', port: 0 });
  return {
    pipeline, server, brp,
    async close() {
      await server.close();
      await pipeline.close();
      await brp.close();
    },
  };
}

// ---- the BRP recorder: a pass-through proxy in front of the simulator

export interface BrpRecorder {
  url: string;
  target: string;
  /** Request bodies by `ordernr`, oldest first. */
  bodies(ordernr: string): string[];
  close(): Promise<void>;
}

async function startBrpRecorder(): Promise<BrpRecorder> {
  const seen: string[] = [];
  const rec: BrpRecorder & { server?: Server } = {
    url: '',
    target: '',
    bodies: (ordernr) => seen.filter((b) => ordernrOf(b) === ordernr),
    async close() {
      rec.server!.closeAllConnections();
      await new Promise<void>((r) => rec.server!.close(() => r()));
    },
  };
  rec.server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      seen.push(body);
      try {
        const up = await undiciRequest(`${rec.target}${req.url}`, {
          method: req.method as 'POST',
          headers: { 'content-type': req.headers['content-type'] ?? 'application/xml' },
          body,
        });
        const text = await up.body.text();
        res.writeHead(up.statusCode, { 'content-type': String(up.headers['content-type'] ?? 'application/xml') });
        res.end(text);
      } catch {
        res.destroy(); // the simulator dropped the connection (a fault): so do we
      }
    })();
  });
  await new Promise<void>((r) => rec.server!.listen(0, '127.0.0.1', () => r()));
  rec.url = `http://127.0.0.1:${(rec.server.address() as AddressInfo).port}`;
  return rec;
}

async function readAll(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function ordernrOf(xml: string): string | undefined {
  try {
    const order = parseUntrustedXml(xml).order as XmlNode;
    return typeof order.ordernr === 'string' ? order.ordernr : undefined;
  } catch {
    return undefined;
  }
}

/** The one BRP request sent for `ordernr`, parsed (`order` element). */
export function brpOrder(rig: PushRig, ordernr: string): XmlNode {
  const bodies = rig.brp.bodies(ordernr);
  assert.equal(bodies.length, 1, `one BRP request for ${ordernr}`);
  return parseUntrustedXml(bodies[0]!, { arrays: ['orderitem'] }).order as XmlNode;
}

export function textOf(v: XmlValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && !Array.isArray(v) && typeof v['#text'] === 'string') return v['#text'];
  return undefined;
}

export function productNumbers(order: XmlNode): string[] {
  return (order.orderitem as XmlNode[]).map((i) => textOf(i.productnumber)!);
}

// ---- clients

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): unknown;
}

export async function send(url: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Response> {
  const r = await undiciRequest(url, { method: (options.method ?? 'GET') as 'GET', headers: options.headers, body: options.body });
  const text = await r.body.text();
  return { status: r.statusCode, headers: r.headers, text, json: () => JSON.parse(text) };
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

export interface BenifySigning {
  secret?: string;
  timestamp?: number | string | null;
  /** Overrides the computed header; null leaves it out. */
  signature?: string | null;
  contentType?: string | null;
}

function benifyHeaders(signed: string | Buffer, o: BenifySigning): Record<string, string> {
  const timestamp = o.timestamp === undefined ? nowSeconds() : o.timestamp;
  const headers: Record<string, string> = {};
  if (timestamp !== null) headers['x-benify-timestamp'] = String(timestamp);
  const signature = o.signature === undefined ? benifySignature(o.secret ?? BENIFY_SECRET, String(timestamp ?? nowSeconds()), signed) : o.signature;
  if (signature !== null) headers['x-benify-signature'] = signature;
  return headers;
}

export async function postBenify(rig: PushRig, body: string | Buffer | object, o: BenifySigning = {}): Promise<Response> {
  const raw = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const headers = benifyHeaders(raw, o);
  if (o.contentType !== null) headers['content-type'] = o.contentType ?? 'application/json';
  return send(`${rig.server.url}/portals/benify/orders`, { method: 'POST', headers, body: raw });
}

export async function getBenifyStatus(rig: PushRig, orderId: string, o: BenifySigning = {}): Promise<Response> {
  const path = `/portals/benify/orders/${encodeURIComponent(orderId)}`;
  return send(`${rig.server.url}${path}`, { headers: benifyHeaders(`GET ${path}`, o) });
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export async function postActiway(rig: PushRig, xml: string | Buffer, o: { authorization?: string | null; contentType?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': o.contentType ?? 'application/xml; charset=utf-8' };
  const auth = o.authorization === undefined ? basic(ACTIWAY_USER, ACTIWAY_PASSWORD) : o.authorization;
  if (auth !== null) headers.authorization = auth;
  return send(`${rig.server.url}/portals/actiway/orders`, { method: 'POST', headers, body: xml });
}

// ---- the contract examples

export function benifyOrder(orderId = 'BNF-2026-0001234', over: (o: Record<string, any>) => void = () => undefined): Record<string, any> {
  const o: Record<string, any> = {
    orderId,
    placedAt: '2026-11-20T10:31:00+01:00',
    employer: { orgNumber: '556123-4567', name: 'Test Org AB' },
    employee: {
      firstName: 'Tessan',
      lastName: 'Testsson',
      personalIdentityNumber: '19111111-1116',
      email: 'tessan@test.com',
      mobilePhone: '0731234567',
      homePhone: null,
      workPhone: '08-123 45',
      address: { street: 'Testgatan 4', postalCode: '123 45', city: 'Teststad', countryCode: 'SE' },
    },
    supplier: { venueId: 'odenplan' },
    lines: [
      { articleId: 'GYM-12M', startDate: '2026-12-01', priceInclVat: { amount: '2500.00', currency: 'SEK' } },
      { articleId: 'TOWEL', startDate: '2026-12-01', priceInclVat: { amount: '10.00', currency: 'SEK' } },
    ],
    message: 'An optional message to the facility.',
  };
  over(o);
  return o;
}

export function actiwayOrder(
  id = 'AW-778812',
  parts: { venue?: string; firstName?: string; lastName?: string; personalNumber?: string; company?: string; items?: string; comment?: string } = {},
): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<ActiwayOrder xmlns="urn:actiway:order:1" id="${id}" created="2026-11-20T10:31:00+01:00">
  <Company orgNo="5561234567">${parts.company ?? 'Test Org AB'}</Company>
  <Customer>
    <FirstName>${parts.firstName ?? 'Tessan'}</FirstName>
    <LastName>${parts.lastName ?? 'Testsson'}</LastName>
    <PersonalNumber>${parts.personalNumber ?? '191111111116'}</PersonalNumber>
    <Email>tessan@test.com</Email>
    <Phone type="mobile">0731234567</Phone>
    <Phone type="work">08-123 45</Phone>
    <Address>
      <Street>Testgatan 4</Street>
      <Zip>12345</Zip>
      <City>Teststad</City>
      <Country>SE</Country>
    </Address>
  </Customer>
  <Venue ref="${parts.venue ?? 'odenplan'}"/>
  <Items>
${parts.items ?? `    <Item articleNo="GYM-12M" startDate="2026-12-01" priceInclVat="2500.00" quantity="1"/>
    <Item articleNo="CLIP-10" startDate="2026-12-01" priceInclVat="950.50" quantity="2" renew="false"/>`}
  </Items>
  <Comment>${parts.comment ?? 'An optional message to the facility.'}</Comment>
</ActiwayOrder>`;
}

/** No response body may carry a stack trace, an exception message or a Fastify error code. */
export function assertNoInternals(r: Response): void {
  for (const needle of ['    at ', 'Error:', 'FST_', 'PD_', 'node_modules', '/src/', 'statusCode', 'stack']) {
    assert.ok(!r.text.includes(needle), `response ${r.status} leaks ${JSON.stringify(needle)}: ${r.text.slice(0, 300)}`);
  }
}
