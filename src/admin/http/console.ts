import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifySecureSession from '@fastify/secure-session';
import fastifyView from '@fastify/view';
import { Eta } from 'eta';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AdminConfig } from '../../config/schema.js';
import { PORTALS } from '../../domain/canonical-order.js';
import { PartnerdError } from '../../errors.js';
import { ORDER_STATES, REQUEUEABLE_STATES } from '../../ledger/order-state.js';
import { PULL_PORTALS } from '../../portal-clients/portal-http.js';
import { logEvent } from '../../observability/log-event.js';
import type { TenantQueues } from '../../queue/tenant-queues.js';
import type { AuthFailureLimiter } from '../../security/auth-failure-limiter.js';
import type { AdminService } from '../admin-service.js';
import type { InvoiceExports } from '../invoice-exports.js';
import { operator } from '../operator.js';
import { ATTENTION_STATES, REVIEW, type SelectionInput } from '../order-selection.js';
import { adminFailure } from './admin-errors.js';
import { countFailure, refuseIfBlocked } from './admin-guard.js';
import { invoicePage, INVOICE_PAGE_MAX_DAYS } from './invoice-page.js';
import { parseInvoiceDownload, sendInvoiceExport } from './invoice-download.js';
import type { AdminTokens } from './admin-tokens.js';

/**
 * The web console at /console, on the admin listener only: server-rendered pages (Eta templates
 * in views/console/, no build step) over the same AdminService as the CLI and the API.
 *
 * Login takes an admin token and opens a session: an encrypted cookie (@fastify/secure-session:
 * HttpOnly, SameSite=Strict, Secure when `admin.console.secureCookie`, path /console) holding the
 * token's name and a fingerprint of its value, so removing or rotating the token ends the
 * session. Every form carries a CSRF token (@fastify/csrf-protection, secret in the session);
 * a POST without a valid one is refused 403. Personal data is shown masked only (order-view.ts).
 * Bull Board (@bull-board/fastify, read-only: the ledger decides what is due, not the queue
 * view) is at /console/queues behind the same session.
 */
export const CONSOLE_VIEWS = resolve(import.meta.dirname, '../../../views/console');

export interface ConsoleOptions {
  admin: AdminService;
  invoices: InvoiceExports;
  tokens: AdminTokens;
  limiter: AuthFailureLimiter;
  logger: Logger;
  config: AdminConfig['console'];
  queues: TenantQueues;
  tenants: string[];
}

declare module '@fastify/secure-session' {
  interface SessionData {
    actor: string;
    fp: string;
    flash: string;
  }
}

const COOKIE = 'partnerd_console';

type Req = FastifyRequest<{ Params: { key: string; tenant: string; portal: string }; Querystring: Record<string, string>; Body: Record<string, string> }>;

export async function adminConsole(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  const { admin, tokens, limiter, logger } = options;
  const key = options.config.sessionKey ?? randomBytes(32);
  await app.register(fastifySecureSession, {
    key,
    cookieName: COOKIE,
    expiry: options.config.sessionMinutes * 60,
    cookie: { path: '/console', httpOnly: true, sameSite: 'strict', secure: options.config.secureCookie, maxAge: options.config.sessionMinutes * 60 },
  });
  await app.register(fastifyFormbody, { bodyLimit: 256 * 1024 });
  await app.register(fastifyCsrf, { sessionPlugin: '@fastify/secure-session' });

  /** The operator of a session whose token still exists with the same value. */
  function sessionOperator(request: FastifyRequest): string | undefined {
    const actor = request.session.get('actor');
    const fp = request.session.get('fp');
    return actor && fp && tokens.fingerprint(actor) === fp ? actor : undefined;
  }

  // ---- pages: login, then everything else behind the session ---------------------------------
  await app.register(async (pages) => {
    const eta = new Eta({ views: CONSOLE_VIEWS, cache: true, autoEscape: true });
    await pages.register(fastifyView, { engine: { eta }, root: CONSOLE_VIEWS });

    const render = async (reply: FastifyReply, request: FastifyRequest, page: string, data: Record<string, unknown> = {}, status = 200) => {
      const flash = request.session.get('flash');
      if (flash) request.session.set('flash', undefined as never);
      const html = await reply.viewAsync(page, {
        actor: sessionOperator(request), csrf: reply.generateCsrf(), flash, states: [...ORDER_STATES, REVIEW], portals: PORTALS,
        tenants: options.tenants, attention: ATTENTION_STATES, ...data,
      });
      return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
    };

    pages.setErrorHandler(async (err, request, reply) => {
      const failure = adminFailure(err, request, logger);
      return render(reply, request, 'error', { failure }, failure.status);
    });

    pages.get('/login', async (request, reply) => render(reply, request, 'login', { failed: false }));

    pages.post('/login', { preHandler: pages.csrfProtection }, async (request: Req, reply) => {
      if (await refuseIfBlocked(limiter, 'console', request, reply)) return reply;
      const name = tokens.verify(typeof request.body?.token === 'string' ? request.body.token.trim() : undefined);
      if (!name) {
        if (await countFailure(limiter, 'console', request, reply)) return reply;
        return render(reply, request, 'login', { failed: true }, 401);
      }
      await limiter.succeed('console', request.ip);
      request.session.regenerate();
      request.session.set('actor', name);
      request.session.set('fp', tokens.fingerprint(name)!);
      logEvent(logger, 'admin.login', { actor: name, client: request.ip });
      return reply.redirect('/console', 303);
    });

    pages.post('/logout', { preHandler: pages.csrfProtection }, async (request, reply) => {
      const actor = sessionOperator(request);
      request.session.delete();
      if (actor) logEvent(logger, 'admin.logout', { actor });
      return reply.redirect('/console/login', 303);
    });

    await pages.register(async (authed) => {
      authed.addHook('onRequest', async (request, reply) => {
        const actor = sessionOperator(request);
        if (!actor) {
          // A page asks to log in; a form posted without a session is refused (no redirect loop for a lost form).
          if (request.method === 'GET' || request.method === 'HEAD') return reply.redirect('/console/login', 303);
          return reply.code(401).type('text/plain').send('unauthorized');
        }
        request.operator = operator(actor, 'console');
        return undefined;
      });
      // Every form of a logged-in operator carries the CSRF token (checked once the body is parsed).
      authed.addHook('preHandler', async (request, reply) => {
        if (request.method !== 'POST') return undefined;
        await new Promise<void>((ok, fail) => authed.csrfProtection(request, reply, (err?: Error) => (err ? fail(err) : ok())));
        return undefined;
      });
      const op = (request: FastifyRequest) => request.operator!;
      const back = (request: FastifyRequest, reply: FastifyReply, to: string, message: string) => {
        request.session.set('flash', message);
        return reply.redirect(to, 303);
      };
      const orderUrl = (key: string) => `/console/orders/${encodeURIComponent(key)}`;

      authed.get('/', async (request, reply) => render(reply, request, 'overview', { overview: await admin.overview(), pullPortals: PULL_PORTALS }));

      authed.get('/attention', async (request: Req, reply) => {
        const q = request.query;
        const selection = attentionSelection(q);
        const page = await admin.list({ ...selection, limit: 100, cursor: q.cursor || undefined });
        return render(reply, request, 'attention', { page, filter: q, requeueable: REQUEUEABLE_STATES });
      });

      authed.post('/attention/preview', async (request: Req, reply) => {
        const b = request.body;
        const selection = bulkSelection(b);
        const op_ = op(request);
        const preview = await admin.requeueMany(selection, op_, { dryRun: true, notInBrp: b.notInBrp === 'on', reason: b.reason });
        return render(reply, request, 'bulk-preview', { preview, selection, form: b });
      });

      authed.post('/attention/requeue', async (request: Req, reply) => {
        const b = request.body;
        const result = await admin.requeueMany(bulkSelection(b), op(request), { notInBrp: b.notInBrp === 'on', reason: b.reason });
        if (result.dryRun) throw new PartnerdError('PD_INVALID_ARGUMENT', 'not a dry run');
        return back(request, reply, `/console/attention?state=${encodeURIComponent(String(b.state ?? ''))}`,
          `Re-queued ${result.requeued} order(s) in ${(result.durationMs / 1000).toFixed(1)} s.`);
      });

      authed.get('/search', async (request: Req, reply) => {
        const q = (request.query.q ?? '').trim();
        const found = q ? await admin.find(q) : undefined;
        if (found?.length === 1) return reply.redirect(orderUrl(found[0]!.key), 303);
        return render(reply, request, 'search', { q, found });
      });

      authed.get('/invoices', async (request: Req, reply) => {
        const page = await invoicePage(options.invoices, options.tenants, request.query);
        return render(reply, request, 'invoices', { ...page, maxDays: INVOICE_PAGE_MAX_DAYS });
      });
      authed.get('/invoices/export', async (request: Req, reply) => sendInvoiceExport(reply, options.invoices, op(request), parseInvoiceDownload(request.query)));

      authed.get('/orders/:key', async (request: Req, reply) => render(reply, request, 'order', { order: await admin.show(request.params.key) }));

      authed.post('/orders/:key/requeue', async (request: Req, reply) => {
        const r = await admin.requeue(request.params.key, op(request), { reason: request.body.reason, notInBrp: request.body.notInBrp === 'on' });
        return back(request, reply, orderUrl(r.key), `Re-queued (was ${r.fromState}).`);
      });
      authed.post('/orders/:key/resolve', async (request: Req, reply) => {
        const b = request.body;
        const r = await admin.resolve(request.params.key, op(request), { brpOrderNumber: b.brpOrderNumber ?? '', invoiceNumber: b.invoiceNumber, ocr: b.ocr, reason: b.reason });
        return back(request, reply, orderUrl(r.key), `Recorded as confirmed with BRP order ${b.brpOrderNumber}${r.notifyWaits ? '; the portal is told once the invoice number and OCR are recorded too' : ''}.`);
      });
      authed.post('/orders/:key/amend', async (request: Req, reply) => {
        const b = request.body;
        let patch: unknown;
        try {
          patch = JSON.parse(b.patch ?? '');
        } catch {
          throw new PartnerdError('PD_INVALID_ARGUMENT', 'the correction is not valid JSON');
        }
        const r = await admin.amend(request.params.key, op(request), { patch, reason: b.reason });
        return back(request, reply, orderUrl(r.continuesAs ?? r.key), `Amended (${r.changed.join(', ')}) and queued${r.continuesAs ? ` as ${r.continuesAs}` : ''}.`);
      });
      authed.post('/orders/:key/reroute', async (request: Req, reply) => {
        const r = await admin.reroute(request.params.key, op(request), { reason: request.body.reason });
        const text = r.status === 'accepted' ? `Routed: continues as ${r.key} (queued).`
          : r.status === 'duplicate' ? `Continues as ${r.key} (already ${r.state}).`
            : r.status === 'unroutable' ? `Still unroutable: ${r.reason}`
              : r.status === 'rejected' ? `Routed, but invalid: ${r.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}` : 'Done.';
        return back(request, reply, orderUrl(r.status === 'accepted' || r.status === 'duplicate' ? r.key : request.params.key), text);
      });
      authed.post('/tenants/:tenant/resume', async (request: Req, reply) => {
        const was = await admin.resumeTenant(request.params.tenant, op(request), { reason: request.body.reason });
        return back(request, reply, '/console', was ? `Resumed tenant ${request.params.tenant}.` : `${request.params.tenant} was not paused.`);
      });
      authed.post('/portals/:portal/resume', async (request: Req, reply) => {
        const r = await admin.resumePortal(request.params.portal, op(request), { reason: request.body.reason });
        return back(request, reply, '/console', r.wasStopped || r.notifyWasStopped ? `Resumed ${request.params.portal}.` : `${request.params.portal} was not stopped.`);
      });
    });
  });

  // ---- Bull Board: the queues, read-only, behind the same session ------------------------------
  await app.register(async (board) => {
    board.addHook('onRequest', async (request, reply) => {
      if (!sessionOperator(request)) {
        if (request.method === 'GET' && !request.url.includes('/api/')) return reply.redirect('/console/login', 303);
        return reply.code(401).send({ error: 'unauthorized' });
      }
      return undefined;
    });
    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath('/console/queues');
    createBullBoard({
      queues: options.tenants.map((t) => new BullMQAdapter(options.queues.get(t), { readOnlyMode: true })),
      serverAdapter,
      options: { uiConfig: { boardTitle: 'partnerd queues' } },
    });
    await board.register(serverAdapter.registerPlugin(), { prefix: '/queues' });
  });
}

/** The needs-attention filter: its states by default, `review` included. */
function attentionSelection(q: Record<string, string | undefined>): SelectionInput {
  return {
    state: q.state ? q.state : [...ATTENTION_STATES, REVIEW].join(','),
    tenant: q.tenant || undefined, portal: q.portal || undefined, since: q.since || undefined, until: q.until || undefined,
  };
}

/** A bulk re-queue from the needs-attention form: the states it may re-queue, the same filters. */
function bulkSelection(b: Record<string, string | undefined>): SelectionInput {
  return { state: b.state || '', tenant: b.tenant || undefined, portal: b.portal || undefined, since: b.since || undefined, until: b.until || undefined };
}
