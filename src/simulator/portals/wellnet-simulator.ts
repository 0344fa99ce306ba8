import Fastify, { type FastifyInstance } from 'fastify';
import { PortalFaults, type PortalFaultAction, type PortalFaultConfig, type PortalRoute } from './portal-faults.js';
import { answerFault, bearerOf, cut, nonBlank, safeEqual, withInvalidUtf8 } from './sim-http.js';
import { isObject } from '../../domain/plain-object.js';
import { listenOn } from '../../http/listen.js';
import { PartnerdError } from '../../errors.js';

/**
 * The Wellnet simulator (shared/portals/wellnet.md): Wellnet's order API as the daemon sees it.
 *
 *   GET  /api/v1/orders?after={cursor}&limit={n}     orders by `sequence`, an opaque cursor
 *   POST /api/v1/orders/{id}/delivery                the outcome (delivered / rejected)
 *
 * Bearer auth on both (401 on a missing or wrong token). The cursor is opaque on purpose (it is
 * not the sequence number in clear), so a client that interprets it breaks in tests. A page holds
 * at most `min(limit, pageSizeMax)` orders; `hasMore` says whether orders follow the page.
 * A delivery for an order that already has one is 409; for an unknown order 404.
 * Keeps no log output: the orders carry (test) personal data.
 */

/** One order as Wellnet serves it. The simulator needs `sequence` (and `id` for deliveries); the rest is passed through as is. */
export type WellnetSimOrder = Record<string, unknown> & { sequence: number };

export type WellnetDeliveryBody =
  | { status: 'delivered'; supplierOrderNumber: string; invoiceNumber: string; ocr: string }
  | { status: 'rejected'; reason: string };

export interface WellnetDelivery {
  id: string;
  body: WellnetDeliveryBody;
  /** ms since epoch. */
  at: number;
}

export interface WellnetPollRecord {
  /** ms since epoch, when the request arrived. */
  at: number;
  after?: string;
  limit?: number;
  status: number;
}

export interface WellnetSimulatorOptions {
  token: string;
  orders?: WellnetSimOrder[];
  /** Largest page served whatever `limit` asks; default 100. */
  pageSizeMax?: number;
  faults?: PortalFaultConfig;
  host?: string;
  port?: number;
}

export interface WellnetSimulatorStats {
  /** GET /api/v1/orders requests that reached the server (faulted and 401 included). */
  polls: number;
  /** POST …/delivery requests that reached the server. */
  deliveryRequests: number;
  /** Deliveries answered 409 (already acknowledged). */
  conflicts: number;
  /** Connections refused while down. */
  refusedConnections: number;
}

export interface WellnetSimulator {
  /** `http://host:port`: the daemon's `portals.wellnet.baseUrl`. */
  readonly baseUrl: string;
  addOrders(...orders: WellnetSimOrder[]): void;
  /** Acknowledged deliveries, in the order they arrived. */
  deliveries(): WellnetDelivery[];
  delivery(id: string): WellnetDelivery | undefined;
  /** Number of polls (GET requests). */
  polls(): number;
  /** Every poll, oldest first. */
  pollLog(): WellnetPollRecord[];
  stats(): WellnetSimulatorStats;
  /** Replaces the token the portal accepts (a rotation or revocation on Wellnet's side). */
  setToken(token: string): void;
  /** The next `n` requests (of `route`, or any) take `action`. */
  failNext(n: number, action: PortalFaultAction, route?: Exclude<PortalRoute, 'token'>): void;
  /** Unreachable (every connection closed at once) until set back to false. */
  setDown(down: boolean): void;
  /** The next authorised poll is answered 200 with exactly these bytes (a page as a portal might really serve it). */
  answerNextPoll(body: Uint8Array): void;
  readonly faults: PortalFaults;
  close(): Promise<void>;
}

const CURSOR_PREFIX = 'wn1:';

export function encodeWellnetCursor(sequence: number): string {
  return Buffer.from(`${CURSOR_PREFIX}${sequence}`).toString('base64url');
}

function decodeCursor(cursor: string): number | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(CURSOR_PREFIX)) return undefined;
  const n = Number(text.slice(CURSOR_PREFIX.length));
  return Number.isSafeInteger(n) ? n : undefined;
}

export async function startWellnetSimulator(options: WellnetSimulatorOptions): Promise<WellnetSimulator> {
  let token = options.token;
  const pageSizeMax = options.pageSizeMax ?? 100;
  const faults = new PortalFaults(options.faults);
  const orders: WellnetSimOrder[] = [];
  const byId = new Map<string, WellnetSimOrder>();
  const deliveries = new Map<string, WellnetDelivery>();
  const polls: WellnetPollRecord[] = [];
  const stats = { deliveryRequests: 0, conflicts: 0 };
  const rawPages: Buffer[] = [];

  function addOrders(...list: WellnetSimOrder[]): void {
    for (const o of list) {
      if (!Number.isSafeInteger(o.sequence)) throw new PartnerdError('PD_INVALID_ARGUMENT', 'a Wellnet simulator order needs an integer sequence');
      if (orders.some((x) => x.sequence === o.sequence)) throw new PartnerdError('PD_INVALID_ARGUMENT', `sequence ${o.sequence} is already used`);
      orders.push(structuredClone(o));
      if (o.id !== undefined && o.id !== null) byId.set(String(o.id), o);
    }
    orders.sort((a, b) => a.sequence - b.sequence);
  }
  addOrders(...(options.orders ?? []));

  const app: FastifyInstance = Fastify({ logger: false });
  faults.attach(app.server);

  const authorised = (t: string | undefined) => t !== undefined && safeEqual(t, token);

  app.get('/api/v1/orders', async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    const record: WellnetPollRecord = { at: Date.now(), status: 0 };
    if (q.after !== undefined) record.after = q.after;
    if (q.limit !== undefined) record.limit = Number(q.limit);
    polls.push(record);
    const answer = <T>(status: number, body: T) => {
      record.status = status;
      return reply.code(status).send(body);
    };
    const action = faults.next('poll');
    if (answerFault(action, faults, request, reply)) {
      record.status = action === 'reset' ? 0 : Number(action);
      return reply;
    }
    if (!authorised(bearerOf(request))) return answer(401, { error: 'unauthorized' });
    const raw = rawPages.shift();
    if (raw !== undefined) {
      record.status = 200;
      return reply.code(200).type('application/json; charset=utf-8').send(raw);
    }

    let after = Number.NEGATIVE_INFINITY;
    if (q.after !== undefined && q.after !== '') {
      const seq = decodeCursor(q.after);
      if (seq === undefined) return answer(400, { error: 'invalid cursor' });
      after = seq;
    }
    let limit = 100;
    if (q.limit !== undefined) {
      limit = Number(q.limit);
      if (!Number.isSafeInteger(limit) || limit < 1) return answer(400, { error: 'limit must be a positive integer' });
    }
    limit = Math.min(limit, pageSizeMax);
    const rest = orders.filter((o) => o.sequence > after);
    const page = rest.slice(0, limit);
    const last = page.at(-1);
    const nextCursor = last ? encodeWellnetCursor(last.sequence) : (q.after || null);
    const body = { orders: page, nextCursor, hasMore: rest.length > page.length };
    if (action === 'reset-after-commit') {
      record.status = 0;
      return cut(request, reply);
    }
    if (action === 'invalid-utf8') {
      record.status = 200;
      return reply.code(200).type('application/json; charset=utf-8').send(withInvalidUtf8(body, 'givenName'));
    }
    return answer(200, body);
  });

  app.post('/api/v1/orders/:id/delivery', async (request, reply) => {
    stats.deliveryRequests++;
    const action = faults.next('ack');
    if (answerFault(action, faults, request, reply)) return reply;
    if (!authorised(bearerOf(request))) return reply.code(401).send({ error: 'unauthorized' });
    const { id } = request.params as { id: string };
    if (!byId.has(id)) return reply.code(404).send({ error: 'unknown order' });
    const body = request.body;
    let parsed: WellnetDeliveryBody | undefined;
    if (isObject(body) && body.status === 'delivered' && nonBlank(body.supplierOrderNumber) && nonBlank(body.invoiceNumber) && nonBlank(body.ocr)) {
      parsed = { status: 'delivered', supplierOrderNumber: body.supplierOrderNumber, invoiceNumber: body.invoiceNumber, ocr: body.ocr };
    } else if (isObject(body) && body.status === 'rejected' && nonBlank(body.reason)) {
      parsed = { status: 'rejected', reason: body.reason };
    }
    if (!parsed) return reply.code(400).send({ error: 'status must be "delivered" (supplierOrderNumber, invoiceNumber, ocr) or "rejected" (reason)' });
    if (deliveries.has(id)) {
      stats.conflicts++;
      return reply.code(409).send({ error: 'already acknowledged' });
    }
    deliveries.set(id, { id, body: parsed, at: Date.now() });
    if (action === 'reset-after-commit') return cut(request, reply);
    return reply.code(200).send({ id, acknowledged: true });
  });

  const { url: baseUrl } = await listenOn(app, options.host ?? '127.0.0.1', options.port ?? 0);

  return {
    baseUrl,
    faults,
    addOrders,
    deliveries: () => [...deliveries.values()].map((d) => structuredClone(d)),
    delivery: (id) => {
      const d = deliveries.get(id);
      return d ? structuredClone(d) : undefined;
    },
    polls: () => polls.length,
    pollLog: () => polls.map((p) => ({ ...p })),
    stats: () => ({ polls: polls.length, ...stats, refusedConnections: faults.refusedConnections }),
    setToken: (t) => { token = t; },
    failNext: (n, action, route) => faults.failNext(n, action, route),
    setDown: (down) => faults.setDown(down),
    answerNextPoll: (body) => { rawPages.push(Buffer.from(body)); },
    async close() {
      faults.destroyAll();
      await app.close();
    },
  };
}
