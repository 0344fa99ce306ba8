import { timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { XsdValidator } from '../brp/xsd-validator.js';
import type { Portal } from '../domain/canonical-order.js';
import { isPartnerdError } from '../errors.js';
import { logEvent } from '../observability/log-event.js';
import { parseUntrustedXml, type XmlNode } from '../xml/safe-xml.js';
import { malformConfirmation } from './confirmation.js';
import { SIM_ERRORS, errorsXml, type SimErrorName } from './error-codes.js';
import type { FaultAction, FaultInjector } from './faults.js';
import { ordernrOf, readPartnerOrder, type SimInstance } from './instance.js';
import type { OrderLedger, SimDelivery, SimOrderRecord } from './order-record.js';

/**
 * One POST to BRP's partner-order web service, in its phases: the endpoint (instance, service),
 * the fault drawn for it, the faults that answer before anything is looked at, BRP's own checks
 * (api key, Content-Type, well-formed, XSD, the instance's business rules), the commit, and how
 * the answer is delivered (or lost, when a fault says so).
 */

export type SimOutcome = 'ok' | Exclude<FaultAction, 'ok'> | `error-${number}`;

export interface SimStats {
  /** Partner-order requests received (including rejected and faulted ones). */
  requests: number;
  /** Orders created (including those whose response was lost or malformed by a fault). */
  ordersCreated: number;
  /** Requests by outcome: `ok`, a fault action (`503`, `timeout-after-commit`, …) or `error-{code}`. */
  byOutcome: Record<string, number>;
}

/** What the route works with: the server's state, shared by every request. */
export interface PartnerOrderContext {
  instances: ReadonlyMap<string, SimInstance>;
  faults: FaultInjector;
  validator: XsdValidator;
  ledger: OrderLedger;
  stats: SimStats;
  /** Connections held open by `timeout-after-commit`, destroyed on close. */
  hanging: Set<{ socket: Socket; timer: NodeJS.Timeout }>;
  now(): Date;
  log?: Logger;
  /** Called with each order BRP creates, before it answers (awaited: a record written to disk). */
  onOrder?: (record: SimOrderRecord) => void | Promise<void>;
}

export type PartnerOrderRequest = FastifyRequest<{ Params: { instance: string; service: string }; Querystring: Record<string, unknown> }>;

const SERVICE = /^create(benify|wellnet|sop|actiway|epassi)order$/;
const XML_MEDIA_TYPE = /^\s*application\/xml\s*(;|$)/i;
export const XML_CONTENT_TYPE = 'application/xml; charset=utf-8';

const HTML_503 =
  '<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head>' +
  '<body><h1>503 Service Unavailable</h1><p>No server is available to handle this request.</p></body></html>';

type Parsed = { ok: true; doc: XmlNode } | { ok: false; error: SimErrorName; debuginfo: string };

function parseBody(body: string): Parsed {
  if (body.trim() === '') return { ok: false, error: 'XML_MALFORMED', debuginfo: 'empty body' };
  try {
    return { ok: true, doc: parseUntrustedXml(body, { arrays: ['orderitem'] }) };
  } catch (err) {
    if (isPartnerdError(err, 'PD_XML_UNSAFE')) return { ok: false, error: 'XML_DECLARATION', debuginfo: 'DOCTYPE/ENTITY declarations are refused' };
    if (isPartnerdError(err, 'PD_XML_MALFORMED')) return { ok: false, error: 'XML_MALFORMED', debuginfo: err.message };
    throw err;
  }
}

function keyMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function countOutcome(stats: SimStats, outcome: SimOutcome): void {
  stats.byOutcome[outcome] = (stats.byOutcome[outcome] ?? 0) + 1;
}

/** BRP's `<errors>` answer for one of its error codes, counted. */
export function sendError(stats: SimStats, reply: FastifyReply, name: SimErrorName, debuginfo = ''): FastifyReply {
  countOutcome(stats, `error-${SIM_ERRORS[name].code}`);
  return reply.code(SIM_ERRORS[name].status).header('content-type', XML_CONTENT_TYPE).send(errorsXml(name, debuginfo));
}

/** The faults that answer before anything is looked at or created; undefined for every other action. */
function answerBeforeCommit(action: FaultAction, reply: FastifyReply, request: PartnerOrderRequest, faults: FaultInjector): FastifyReply | undefined {
  switch (action) {
    case '503':
      return reply.code(503).header('content-type', 'text/html; charset=utf-8').send(HTML_503);
    case '500':
      return reply.code(500).header('content-type', XML_CONTENT_TYPE).send(errorsXml('INTERNAL_ERROR', 'java.lang.NullPointerException'));
    case '429':
      return reply
        .code(429)
        .header('retry-after', String(faults.retryAfterSeconds))
        .header('content-type', XML_CONTENT_TYPE)
        .send(errorsXml('TOO_MANY_REQUESTS', `retry after ${faults.retryAfterSeconds} s`));
    case '401':
      return reply.code(401).header('content-type', XML_CONTENT_TYPE).send(errorsXml('INVALID_API_KEY'));
    case '403':
      return reply.code(403).header('content-type', XML_CONTENT_TYPE).send(errorsXml('ACCESS_DENIED', `ip ${request.ip}`));
    default:
      return undefined;
  }
}

/** The answer to an order that now exists in BRP: sent, malformed, never sent, or cut. */
function deliver(ctx: PartnerOrderContext, delivery: SimDelivery, confirmation: string, request: PartnerOrderRequest, reply: FastifyReply): FastifyReply {
  switch (delivery) {
    case 'timeout-after-commit': {
      reply.hijack();
      const socket = request.raw.socket;
      const entry = { socket, timer: setTimeout(() => socket.destroy(), ctx.faults.hangMs) };
      ctx.hanging.add(entry);
      socket.once('close', () => {
        clearTimeout(entry.timer);
        ctx.hanging.delete(entry);
      });
      return reply;
    }
    case 'reset-after-commit':
      reply.hijack();
      request.raw.socket.resetAndDestroy();
      return reply;
    case 'malformed-2xx':
      return reply.code(200).header('content-type', XML_CONTENT_TYPE).send(malformConfirmation(confirmation));
    default:
      return reply.code(200).header('content-type', XML_CONTENT_TYPE).send(confirmation);
  }
}

export function partnerOrderRoute(ctx: PartnerOrderContext) {
  const { faults, stats, log } = ctx;
  return async (request: PartnerOrderRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const started = process.hrtime.bigint();
    const receivedAt = ctx.now();
    const { instance: instanceName, service } = request.params;
    const inst = ctx.instances.get(instanceName);
    if (!inst) return sendError(stats, reply, 'UNKNOWN_INSTANCE', `no instance '${instanceName}'`);
    const portal = SERVICE.exec(service)?.[1] as Portal | undefined;
    if (!portal) return sendError(stats, reply, 'UNKNOWN_ENDPOINT', `no web service '${service}'`);

    const body = typeof request.body === 'string' ? request.body : '';
    const isXml = XML_MEDIA_TYPE.test(request.headers['content-type'] ?? '');
    let parsed: Parsed | undefined;
    const parse = (): Parsed => (parsed ??= parseBody(body));

    // A script per order number needs the number before the fault is drawn.
    const p0 = isXml && faults.needsOrdernr ? parse() : undefined;
    const { action } = faults.next(p0?.ok ? ordernrOf(p0.doc) : undefined);
    const delay = faults.latency();
    if (delay > 0) await sleep(delay);

    const done = (outcome: string, status: number | 'none', ordernr?: string) => {
      if (!log) return;
      logEvent(log, 'simulator.request', {
        instance: instanceName, portal, ordernr, outcome, status: status === 'none' ? undefined : status,
        elapsedMicros: Number((process.hrtime.bigint() - started) / 1000n),
      });
    };

    // ---- faults before commit: nothing is looked at, nothing is created
    const early = answerBeforeCommit(action, reply, request, faults);
    if (early) {
      countOutcome(stats, action as SimOutcome);
      done(action, Number(action));
      return early;
    }

    // ---- the real checks
    const fail = (name: SimErrorName, debuginfo = '', ordernr?: string) => {
      done(`error-${SIM_ERRORS[name].code}`, SIM_ERRORS[name].status, ordernr);
      return sendError(stats, reply, name, debuginfo);
    };
    if (!keyMatches(request.query.apikey, inst.apiKey)) return fail('INVALID_API_KEY');
    if (!isXml) return fail('UNSUPPORTED_MEDIA_TYPE', `Content-Type: ${request.headers['content-type'] ?? '(none)'}`);
    const p = parse();
    if (!p.ok) return fail(p.error, p.debuginfo);
    const problems = ctx.validator.validate(body);
    if (problems.length > 0) return fail('XSD_INVALID', problems.join('; '));
    const req = readPartnerOrder(p.doc);
    const checked = inst.check(portal, req);
    if (!checked.ok) return fail(checked.error, checked.debuginfo, req.ordernr);
    if (action === 'refuse') {
      countOutcome(stats, 'refuse');
      done('refuse', 400, req.ordernr);
      return reply
        .code(400)
        .header('content-type', XML_CONTENT_TYPE)
        .send(errorsXml('INVALID_SETTINGS', "Invalid value for setting 'organizationidflexpay', no organization found with id: null"));
    }

    // ---- commit: the order exists from here on, whatever happens to the response
    const delivery: SimDelivery =
      action === 'timeout-after-commit' || action === 'reset-after-commit' || action === 'malformed-2xx' ? action : 'ok';
    const { record, confirmation } = inst.commit(checked.order, ctx.now(), delivery, receivedAt);
    ctx.ledger.add(record);
    await ctx.onOrder?.(record);
    stats.ordersCreated++;
    countOutcome(stats, delivery);
    done(delivery, delivery === 'ok' || delivery === 'malformed-2xx' ? 200 : 'none', req.ordernr);
    return deliver(ctx, delivery, confirmation, request, reply);
  };
}
