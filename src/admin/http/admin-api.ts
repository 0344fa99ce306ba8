import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { previousStockholmDay } from '../../domain/stockholm-date.js';
import { PartnerdError } from '../../errors.js';
import type { AuthFailureLimiter } from '../../security/auth-failure-limiter.js';
import type { AdminService } from '../admin-service.js';
import type { InvoiceExports } from '../invoice-exports.js';
import { operator, type Operator } from '../operator.js';
import { adminFailure, sendFailure } from './admin-errors.js';
import { countFailure, refuseIfBlocked, unauthorized } from './admin-guard.js';
import { bearerToken, type AdminTokens } from './admin-tokens.js';
import { parseInvoiceDownload, sendInvoiceExport } from './invoice-download.js';

/**
 * The admin API, on the admin listener only (never the push port), under /api: every route
 * needs `Authorization: Bearer <token>` of a configured token, whose name becomes the actor of
 * what the request does. JSON in, JSON out; the verbs are AdminService's, as the CLI's are.
 *
 *   GET  /api/orders?state=&tenant=&portal=&since=&until=&q=&limit=&cursor=   list / search
 *   GET  /api/orders/:key                                                   show
 *   POST /api/orders/:key/requeue   {reason?, notInBrp?}
 *   POST /api/orders/:key/resolve   {brpOrderNumber, invoiceNumber?, ocr?, reason}
 *   POST /api/orders/:key/amend     {order | patch, reason}
 *   POST /api/orders/:key/reroute   {reason?}
 *   POST /api/requeue               {state, tenant?, portal?, since?, until?, dryRun?, reason?, notInBrp?}
 *   POST /api/tenants/:tenant/resume  {reason?}
 *   POST /api/portals/:portal/resume  {reason?}
 *   GET  /api/status · GET /api/overview
 *   GET  /api/invoices?from=&to=&portal=&tenant=&format=csv|jsonl&excel=   the invoice export, a download
 *   GET  /api/reports/daily?from=&to=&portal=                              the daily report (default: yesterday)
 */
export interface AdminApiOptions {
  admin: AdminService;
  invoices: InvoiceExports;
  tokens: AdminTokens;
  limiter: AuthFailureLimiter;
  logger: Logger;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The operator a request of the admin API or console acts as (its token's name). */
    operator?: Operator;
  }
}

const reasonOnly = z.object({ reason: z.string().optional() }).strict();
const requeueBody = z.object({ reason: z.string().optional(), notInBrp: z.boolean().optional() }).strict();
const resolveBody = z.object({
  brpOrderNumber: z.string(), invoiceNumber: z.string().optional(), ocr: z.string().optional(), reason: z.string().optional(),
}).strict();
const amendBody = z.object({ order: z.unknown().optional(), patch: z.unknown().optional(), reason: z.string().optional() }).strict();
const stringOrList = z.union([z.string(), z.array(z.string())]);
const bulkBody = z.object({
  state: stringOrList, tenant: z.string().optional(), portal: z.string().optional(), since: z.string().optional(), until: z.string().optional(),
  dryRun: z.boolean().optional(), reason: z.string().optional(), notInBrp: z.boolean().optional(), firstKeys: z.number().int().min(0).max(1000).optional(),
}).strict();
const listQuery = z.object({
  state: stringOrList.optional(), tenant: z.string().optional(), portal: z.string().optional(), since: z.string().optional(), until: z.string().optional(),
  q: z.string().optional(), limit: z.coerce.number().int().min(1).max(1000).optional(), cursor: z.string().optional(),
}).strict();

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date written YYYY-MM-DD');
const dailyQuery = z.object({ from: day.optional(), to: day.optional(), portal: z.string().optional() }).strict();

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  throw new PartnerdError('PD_INVALID_ARGUMENT', r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '));
}

function op(request: FastifyRequest): Operator {
  return request.operator!;
}

export async function adminApi(app: FastifyInstance, options: AdminApiOptions): Promise<void> {
  const { admin, invoices, tokens, limiter, logger } = options;

  app.addHook('onRequest', async (request, reply) => {
    if (await refuseIfBlocked(limiter, 'api', request, reply)) return reply;
    const name = tokens.verify(bearerToken(request.headers.authorization));
    if (!name) {
      if (await countFailure(limiter, 'api', request, reply)) return reply;
      await unauthorized(reply);
      return reply;
    }
    await limiter.succeed('api', request.ip);
    request.operator = operator(name, 'api');
    return undefined;
  });

  app.setErrorHandler(async (err, request, reply) => sendFailure(reply, adminFailure(err, request, logger)));
  app.setNotFoundHandler(async (_request, reply) => reply.code(404).send({ error: 'not-found' }));

  app.get('/orders', async (request) => admin.list(parse(listQuery, request.query)));
  app.get<{ Params: { key: string } }>('/orders/:key', async (request) => admin.show(request.params.key));
  app.post<{ Params: { key: string } }>('/orders/:key/requeue', async (request) => admin.requeue(request.params.key, op(request), parse(requeueBody, request.body)));
  app.post<{ Params: { key: string } }>('/orders/:key/resolve', async (request) => admin.resolve(request.params.key, op(request), parse(resolveBody, request.body)));
  app.post<{ Params: { key: string } }>('/orders/:key/amend', async (request) => admin.amend(request.params.key, op(request), parse(amendBody, request.body)));
  app.post<{ Params: { key: string } }>('/orders/:key/reroute', async (request) => admin.reroute(request.params.key, op(request), parse(reasonOnly, request.body)));
  app.post('/requeue', async (request) => {
    const { dryRun, reason, notInBrp, firstKeys, ...selection } = parse(bulkBody, request.body);
    const r = await admin.requeueMany(selection, op(request), { dryRun: dryRun ?? false, reason, notInBrp, firstKeys });
    // A bulk answer names the first keys, not ten thousand of them.
    return r.dryRun ? r : { ...r, keys: r.keys.slice(0, firstKeys ?? 20) };
  });
  app.post<{ Params: { tenant: string } }>('/tenants/:tenant/resume', async (request) => ({
    tenant: request.params.tenant, wasPaused: await admin.resumeTenant(request.params.tenant, op(request), parse(reasonOnly, request.body)),
  }));
  app.post<{ Params: { portal: string } }>('/portals/:portal/resume', async (request) => ({
    portal: request.params.portal, ...(await admin.resumePortal(request.params.portal, op(request), parse(reasonOnly, request.body))),
  }));
  app.get('/status', async () => admin.status());
  app.get('/overview', async () => admin.overview());
  app.get('/invoices', async (request, reply) => sendInvoiceExport(reply, invoices, op(request), parseInvoiceDownload(request.query)));
  app.get('/reports/daily', async (request) => {
    const q = parse(dailyQuery, request.query);
    const yesterday = previousStockholmDay();
    const from = q.from ?? q.to ?? yesterday;
    const to = q.to ?? q.from ?? yesterday;
    return { from, to, ...(q.portal ? { portal: q.portal } : {}), rows: await invoices.dailyReport({ from, to, ...(q.portal ? { portal: q.portal } : {}) }) };
  });
}
