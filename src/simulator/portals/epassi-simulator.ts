import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { PortalFaults, type PortalFaultAction, type PortalFaultConfig, type PortalRoute } from './portal-faults.js';
import { answerFault, bearerOf, cut, nonBlank, safeEqual, withInvalidUtf8 } from './sim-http.js';
import { isObject } from '../../domain/plain-object.js';
import { listenOn } from '../../http/listen.js';
import { PartnerdError } from '../../errors.js';

/**
 * The Epassi simulator (shared/portals/epassi.md):
 *
 *   POST  /oauth/token                                   client credentials (form-encoded) → expiring bearer token
 *   GET   /v2/purchases?status=PAID&page={p}&pageSize={n}  paid, not yet marked purchases, page by page
 *   PATCH /v2/purchases/{purchaseId}                     DELIVERED / REJECTED
 *
 * A purchase stays listed (status PAID) until it is PATCHed, so it appears in every poll until
 * then. Tokens expire after `tokenTtlSeconds`; an expired or unknown token is 401. Marking a
 * purchase that already has a final status is 409. Keeps no log output (test personal data).
 */

export type EpassiSimPurchase = Record<string, unknown> & { purchaseId: string };

export type EpassiMarkBody =
  | { status: 'DELIVERED'; merchantReference: string; invoiceNumber: string; ocr: string }
  | { status: 'REJECTED'; reason: string };

export interface EpassiMark {
  purchaseId: string;
  body: EpassiMarkBody;
  /** ms since epoch. */
  at: number;
}

export interface EpassiPollRecord {
  at: number;
  page?: number;
  pageSize?: number;
  status: number;
}

export interface EpassiSimulatorOptions {
  clientId: string;
  clientSecret: string;
  /** Lifetime of an issued token; default 3600. */
  tokenTtlSeconds?: number;
  purchases?: EpassiSimPurchase[];
  /** Largest page served whatever `pageSize` asks; default 100. */
  pageSizeMax?: number;
  faults?: PortalFaultConfig;
  host?: string;
  port?: number;
}

export interface EpassiSimulatorStats {
  /** POST /oauth/token requests that reached the server. */
  tokenRequests: number;
  /** Tokens issued. */
  tokensIssued: number;
  /** GET /v2/purchases requests that reached the server (faulted and 401 included). */
  polls: number;
  /** GET /v2/purchases answered 401. */
  unauthorizedPolls: number;
  /** PATCH requests that reached the server. */
  markRequests: number;
  /** PATCHes answered 409. */
  conflicts: number;
  refusedConnections: number;
}

export interface EpassiSimulator {
  readonly baseUrl: string;
  addPurchases(...purchases: EpassiSimPurchase[]): void;
  /** Current status of a purchase (PAID, DELIVERED, REJECTED), or undefined. */
  statusOf(purchaseId: string): string | undefined;
  /** Successful marks, in the order they arrived. */
  marks(): EpassiMark[];
  mark(purchaseId: string): EpassiMark | undefined;
  polls(): number;
  pollLog(): EpassiPollRecord[];
  tokenRequests(): number;
  stats(): EpassiSimulatorStats;
  /** Every token issued so far is expired from now on. */
  expireTokens(): void;
  /** Changes the client credentials Epassi accepts (rotation, revocation). */
  setCredentials(clientId: string, clientSecret: string): void;
  failNext(n: number, action: PortalFaultAction, route?: PortalRoute): void;
  setDown(down: boolean): void;
  /** The next authorised poll is answered 200 with exactly these bytes (a page as a portal might really serve it). */
  answerNextPoll(body: Uint8Array): void;
  readonly faults: PortalFaults;
  close(): Promise<void>;
}

export async function startEpassiSimulator(options: EpassiSimulatorOptions): Promise<EpassiSimulator> {
  let clientId = options.clientId;
  let clientSecret = options.clientSecret;
  const ttlSeconds = options.tokenTtlSeconds ?? 3600;
  const pageSizeMax = options.pageSizeMax ?? 100;
  const faults = new PortalFaults(options.faults);
  const purchases: EpassiSimPurchase[] = [];
  const byId = new Map<string, EpassiSimPurchase>();
  const tokens = new Map<string, number>();
  const marks: EpassiMark[] = [];
  const polls: EpassiPollRecord[] = [];
  const stats = { tokenRequests: 0, tokensIssued: 0, unauthorizedPolls: 0, markRequests: 0, conflicts: 0 };
  const rawPages: Buffer[] = [];

  function addPurchases(...list: EpassiSimPurchase[]): void {
    for (const p of list) {
      if (!nonBlank(p.purchaseId)) throw new PartnerdError('PD_INVALID_ARGUMENT', 'an Epassi simulator purchase needs a purchaseId');
      if (byId.has(p.purchaseId)) throw new PartnerdError('PD_INVALID_ARGUMENT', `purchase ${p.purchaseId} exists already`);
      const copy = structuredClone(p);
      copy.status ??= 'PAID';
      purchases.push(copy);
      byId.set(copy.purchaseId, copy);
    }
  }
  addPurchases(...(options.purchases ?? []));

  const app: FastifyInstance = Fastify({ logger: false });
  faults.attach(app.server);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  const validToken = (t: string | undefined): boolean => {
    if (t === undefined) return false;
    const exp = tokens.get(t);
    return exp !== undefined && Date.now() < exp;
  };

  app.post('/oauth/token', async (request, reply) => {
    stats.tokenRequests++;
    const action = faults.next('token');
    if (action === '401') return reply.code(401).send({ error: 'invalid_client' });
    if (answerFault(action, faults, request, reply)) return reply;
    const ct = String(request.headers['content-type'] ?? '');
    if (!/^application\/x-www-form-urlencoded\b/i.test(ct) || !isObject(request.body)) {
      return reply.code(400).send({ error: 'invalid_request', error_description: 'form-encoded body expected' });
    }
    const f = request.body as Record<string, string>;
    if (f.grant_type !== 'client_credentials') return reply.code(400).send({ error: 'unsupported_grant_type' });
    if (!nonBlank(f.client_id) || !nonBlank(f.client_secret) || !safeEqual(f.client_id, clientId) || !safeEqual(f.client_secret, clientSecret)) {
      return reply.code(401).send({ error: 'invalid_client' });
    }
    if (f.scope !== undefined && !f.scope.split(/\s+/).includes('purchases')) return reply.code(400).send({ error: 'invalid_scope' });
    const token = randomBytes(24).toString('base64url');
    tokens.set(token, Date.now() + ttlSeconds * 1000);
    stats.tokensIssued++;
    const body = { access_token: token, token_type: 'Bearer', expires_in: ttlSeconds };
    if (action === 'reset-after-commit') return cut(request, reply);
    return reply.code(200).header('cache-control', 'no-store').send(body);
  });

  app.get('/v2/purchases', async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    const record: EpassiPollRecord = { at: Date.now(), status: 0 };
    if (q.page !== undefined) record.page = Number(q.page);
    if (q.pageSize !== undefined) record.pageSize = Number(q.pageSize);
    polls.push(record);
    const answer = <T>(status: number, body: T) => {
      record.status = status;
      return reply.code(status).send(body);
    };
    const action = faults.next('poll');
    if (action === '401') stats.unauthorizedPolls++;
    if (answerFault(action, faults, request, reply)) {
      record.status = action === 'reset' ? 0 : Number(action);
      return reply;
    }
    if (!validToken(bearerOf(request))) {
      stats.unauthorizedPolls++;
      return answer(401, { error: 'invalid_token' });
    }
    const raw = rawPages.shift();
    if (raw !== undefined) {
      record.status = 200;
      return reply.code(200).type('application/json; charset=utf-8').send(raw);
    }
    if (q.status !== 'PAID') return answer(400, { error: 'status must be PAID' });
    const page = q.page === undefined ? 1 : Number(q.page);
    let pageSize = q.pageSize === undefined ? 50 : Number(q.pageSize);
    if (!Number.isSafeInteger(page) || page < 1) return answer(400, { error: 'page must be a positive integer' });
    if (!Number.isSafeInteger(pageSize) || pageSize < 1) return answer(400, { error: 'pageSize must be a positive integer' });
    pageSize = Math.min(pageSize, pageSizeMax);
    const paid = purchases.filter((p) => p.status === 'PAID');
    const totalPages = Math.ceil(paid.length / pageSize);
    const items = paid.slice((page - 1) * pageSize, page * pageSize);
    if (action === 'reset-after-commit') {
      record.status = 0;
      return cut(request, reply);
    }
    if (action === 'invalid-utf8') {
      record.status = 200;
      return reply.code(200).type('application/json; charset=utf-8').send(withInvalidUtf8({ page, pageSize, totalPages, items }, 'firstName'));
    }
    return answer(200, { page, pageSize, totalPages, items });
  });

  app.patch('/v2/purchases/:id', async (request, reply) => {
    stats.markRequests++;
    const action = faults.next('ack');
    if (answerFault(action, faults, request, reply)) return reply;
    if (!validToken(bearerOf(request))) return reply.code(401).send({ error: 'invalid_token' });
    const { id } = request.params as { id: string };
    const purchase = byId.get(id);
    if (!purchase) return reply.code(404).send({ error: 'unknown purchase' });
    const b = request.body;
    let parsed: EpassiMarkBody | undefined;
    if (isObject(b) && b.status === 'DELIVERED' && nonBlank(b.merchantReference) && nonBlank(b.invoiceNumber) && nonBlank(b.ocr)) {
      parsed = { status: 'DELIVERED', merchantReference: b.merchantReference, invoiceNumber: b.invoiceNumber, ocr: b.ocr };
    } else if (isObject(b) && b.status === 'REJECTED' && nonBlank(b.reason)) {
      parsed = { status: 'REJECTED', reason: b.reason };
    }
    if (!parsed) return reply.code(400).send({ error: 'status must be DELIVERED (merchantReference, invoiceNumber, ocr) or REJECTED (reason)' });
    if (purchase.status !== 'PAID') {
      stats.conflicts++;
      return reply.code(409).send({ error: `purchase is already ${String(purchase.status)}` });
    }
    purchase.status = parsed.status;
    marks.push({ purchaseId: id, body: parsed, at: Date.now() });
    if (action === 'reset-after-commit') return cut(request, reply);
    return reply.code(200).send({ purchaseId: id, status: parsed.status });
  });

  const { url: baseUrl } = await listenOn(app, options.host ?? '127.0.0.1', options.port ?? 0);

  return {
    baseUrl,
    faults,
    addPurchases,
    statusOf: (id) => byId.get(id)?.status as string | undefined,
    marks: () => marks.map((m) => structuredClone(m)),
    mark: (id) => {
      const m = marks.find((x) => x.purchaseId === id);
      return m ? structuredClone(m) : undefined;
    },
    polls: () => polls.length,
    pollLog: () => polls.map((p) => ({ ...p })),
    tokenRequests: () => stats.tokenRequests,
    stats: () => ({ ...stats, polls: polls.length, refusedConnections: faults.refusedConnections }),
    expireTokens() {
      for (const t of tokens.keys()) tokens.set(t, 0);
    },
    setCredentials(id, secret) {
      clientId = id;
      clientSecret = secret;
    },
    failNext: (n, action, route) => faults.failNext(n, action, route),
    setDown: (down) => faults.setDown(down),
    answerNextPoll: (body) => { rawPages.push(Buffer.from(body)); },
    async close() {
      faults.destroyAll();
      await app.close();
    },
  };
}
