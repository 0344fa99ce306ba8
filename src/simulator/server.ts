import { readFileSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { Portal } from '../domain/canonical-order.js';
import { PartnerdError, isPartnerdError } from '../errors.js';
import { parseUntrustedXml, type XmlNode } from '../xml/safe-xml.js';
import { XsdValidator } from '../brp/xsd-validator.js';
import { malformConfirmation } from './confirmation.js';
import { SIM_ERRORS, errorsXml, type SimErrorName } from './error-codes.js';
import { FaultInjector, faultConfigSchema, type FaultAction, type FaultConfig } from './faults.js';
import { SimInstance, ordernrOf, readPartnerOrder, type BrpSimulatorInstanceOptions } from './instance.js';
import { OrderLedger, type SimDelivery, type SimOrderFilter, type SimOrderRecord } from './order-record.js';
import { logEvent } from '../observability/log-event.js';

/**
 * The BRP simulator's HTTP server: BRP's partner-order web service for any number of BRP
 * instances (customers), each under its own path prefix, plus admin routes for tests and demos.
 *
 *   POST /{instance}/webservice/partnerorders/create{portal}order?apikey=…
 *   GET  /{instance}/xsd/webservice/createpartnerorder.xsd          (the schema, as BRP serves it)
 *   GET  /_sim/orders[?instance=&origin=&ordernr=]   DELETE /_sim/orders (reset)
 *   GET  /_sim/stats    GET|PUT /_sim/faults
 *
 * Checks, in order: instance (404), endpoint (404), fault action (see faults.ts), api key (401),
 * Content-Type (415), well-formed & no DOCTYPE (400), XSD (400), origin, business unit,
 * products, renew (400). Codes: error-codes.ts.
 */

export interface BrpSimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 = a random free port. Default 0. */
  port?: number;
  /** The createpartnerorder XSD (the same file the daemon validates against). */
  xsdPath: string;
  /** BRP instances by name; each is served under `/{name}/`. */
  instances: Record<string, BrpSimulatorInstanceOptions>;
  faults?: FaultConfig;
  logger?: Logger;
  now?: () => Date;
  /** Largest accepted request body in bytes; default 1 MiB. */
  bodyLimit?: number;
  /**
   * Called with every order as it is committed, before any response: BRP's own record, for a
   * harness that must keep it across the simulator's restarts (the chaos suite).
   */
  onOrder?: (record: SimOrderRecord) => void;
}

export type SimOutcome = 'ok' | Exclude<FaultAction, 'ok'> | `error-${number}`;

export interface SimStats {
  /** Partner-order requests received (including rejected and faulted ones). */
  requests: number;
  /** Orders created (including those whose response was lost or malformed by a fault). */
  ordersCreated: number;
  /** Requests by outcome: `ok`, a fault action (`503`, `timeout-after-commit`, …) or `error-{code}`. */
  byOutcome: Record<string, number>;
}

export interface BrpSimulator {
  /** `http://host:port`, no trailing slash. */
  readonly url: string;
  /** The instance's BRP BaseURL: `${url}/${instance}/`. Throws for an unknown instance. */
  baseUrl(instance: string): string;
  close(): Promise<void>;
  /** Replaces the fault configuration (scripts start from their first entry). */
  setFaults(faults: FaultConfig): void;
  /** The current fault configuration, with what is left of the scripts. */
  faults(): FaultConfig;
  orders(filter?: SimOrderFilter): SimOrderRecord[];
  stats(): SimStats;
  /** Forgets all orders, customers, counters and stats; the faults stay (the PRNG is re-seeded). */
  reset(): void;
}

export const INSTANCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const SERVICE = /^create(benify|wellnet|sop|actiway|epassi)order$/;
const XML_MEDIA_TYPE = /^\s*application\/xml\s*(;|$)/i;
const XML_CONTENT_TYPE = 'application/xml; charset=utf-8';
const DEFAULT_BODY_LIMIT = 1024 * 1024;

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

export async function startBrpSimulator(options: BrpSimulatorOptions): Promise<BrpSimulator> {
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? (() => new Date());
  const log = options.logger?.child({ component: 'brp-simulator' });
  const validator = XsdValidator.fromFile(options.xsdPath);
  const xsdText = readFileSync(options.xsdPath, 'utf8');

  const instances = new Map<string, SimInstance>();
  for (const [name, opts] of Object.entries(options.instances)) {
    if (!INSTANCE_NAME.test(name) || name === '_sim') {
      throw new PartnerdError('PD_CONFIG_INVALID', `simulator instance name '${name}' must match ${INSTANCE_NAME}`);
    }
    instances.set(name, new SimInstance(name, opts));
  }

  const faults = new FaultInjector(options.faults ?? {});
  const ledger = new OrderLedger();
  const stats: SimStats = { requests: 0, ordersCreated: 0, byOutcome: {} };
  const hanging = new Set<{ socket: Socket; timer: NodeJS.Timeout }>();

  const count = (outcome: SimOutcome) => {
    stats.byOutcome[outcome] = (stats.byOutcome[outcome] ?? 0) + 1;
  };

  const app: FastifyInstance = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    forceCloseConnections: true,
    return503OnClosing: true,
  });

  const sendError = (reply: FastifyReply, name: SimErrorName, debuginfo = '') => {
    count(`error-${SIM_ERRORS[name].code}`);
    return reply.code(SIM_ERRORS[name].status).header('content-type', XML_CONTENT_TYPE).send(errorsXml(name, debuginfo));
  };

  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).header('content-type', XML_CONTENT_TYPE).send(errorsXml('UNKNOWN_ENDPOINT'));
  });

  // ---- BRP's web service, in its own context: every body is read as a string, whatever its type,
  // so the Content-Type check and its 415 are ours (with an <errors> body).
  await app.register(async (brp) => {
    // Counted on arrival, so requests refused before the handler (413) count too.
    brp.addHook('onRequest', async (request) => {
      if (request.method === 'POST') stats.requests++;
    });
    brp.removeAllContentTypeParsers();
    brp.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

    brp.setErrorHandler((err: { statusCode?: number; message?: string }, _request, reply) => {
      const status = err.statusCode ?? 500;
      if (status === 413) return sendError(reply, 'BODY_TOO_LARGE');
      if (status === 415) return sendError(reply, 'UNSUPPORTED_MEDIA_TYPE');
      if (status >= 400 && status < 500) return sendError(reply, 'XML_MALFORMED', err.message ?? '');
      if (log) logEvent(log, 'simulator.error', { err });
      return sendError(reply, 'INTERNAL_ERROR');
    });

    brp.get<{ Params: { instance: string } }>('/:instance/xsd/webservice/createpartnerorder.xsd', async (request, reply) => {
      if (!instances.has(request.params.instance)) {
        return reply.code(404).header('content-type', XML_CONTENT_TYPE).send(errorsXml('UNKNOWN_INSTANCE'));
      }
      return reply.header('content-type', XML_CONTENT_TYPE).send(xsdText);
    });

    brp.post<{ Params: { instance: string; service: string }; Querystring: Record<string, unknown> }>(
      '/:instance/webservice/partnerorders/:service',
      async (request, reply) => {
        const started = process.hrtime.bigint();
        const { instance: instanceName, service } = request.params;
        const inst = instances.get(instanceName);
        if (!inst) return sendError(reply, 'UNKNOWN_INSTANCE', `no instance '${instanceName}'`);
        const portal = SERVICE.exec(service)?.[1] as Portal | undefined;
        if (!portal) return sendError(reply, 'UNKNOWN_ENDPOINT', `no web service '${service}'`);

        const body = typeof request.body === 'string' ? request.body : '';
        const isXml = XML_MEDIA_TYPE.test(request.headers['content-type'] ?? '');
        let parsed: Parsed | undefined;
        const parse = (): Parsed => (parsed ??= parseBody(body));

        let ordernrForScript: string | undefined;
        if (isXml && faults.needsOrdernr) {
          const p = parse();
          if (p.ok) ordernrForScript = ordernrOf(p.doc);
        }
        const { action } = faults.next(ordernrForScript);
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
        switch (action) {
          case '503':
            count('503');
            done('503', 503);
            return reply.code(503).header('content-type', 'text/html; charset=utf-8').send(HTML_503);
          case '500':
            count('500');
            done('500', 500);
            return reply.code(500).header('content-type', XML_CONTENT_TYPE).send(errorsXml('INTERNAL_ERROR', 'java.lang.NullPointerException'));
          case '429':
            count('429');
            done('429', 429);
            return reply
              .code(429)
              .header('retry-after', String(faults.retryAfterSeconds))
              .header('content-type', XML_CONTENT_TYPE)
              .send(errorsXml('TOO_MANY_REQUESTS', `retry after ${faults.retryAfterSeconds} s`));
          case '401':
            count('401');
            done('401', 401);
            return reply.code(401).header('content-type', XML_CONTENT_TYPE).send(errorsXml('INVALID_API_KEY'));
          case '403':
            count('403');
            done('403', 403);
            return reply.code(403).header('content-type', XML_CONTENT_TYPE).send(errorsXml('ACCESS_DENIED', `ip ${request.ip}`));
          default:
            break;
        }

        // ---- the real checks
        const fail = (name: SimErrorName, debuginfo = '', ordernr?: string) => {
          done(`error-${SIM_ERRORS[name].code}`, SIM_ERRORS[name].status, ordernr);
          return sendError(reply, name, debuginfo);
        };
        if (!keyMatches(request.query.apikey, inst.apiKey)) return fail('INVALID_API_KEY');
        if (!isXml) return fail('UNSUPPORTED_MEDIA_TYPE', `Content-Type: ${request.headers['content-type'] ?? '(none)'}`);
        const p = parse();
        if (!p.ok) return fail(p.error, p.debuginfo);
        const problems = validator.validate(body);
        if (problems.length > 0) return fail('XSD_INVALID', problems.join('; '));
        const req = readPartnerOrder(p.doc);
        const checked = inst.check(portal, req);
        if (!checked.ok) return fail(checked.error, checked.debuginfo, req.ordernr);
        if (action === 'refuse') {
          count('refuse');
          done('refuse', 400, req.ordernr);
          return reply
            .code(400)
            .header('content-type', XML_CONTENT_TYPE)
            .send(errorsXml('INVALID_SETTINGS', "Invalid value for setting 'organizationidflexpay', no organization found with id: null"));
        }

        // ---- commit: the order exists from here on, whatever happens to the response
        const delivery: SimDelivery =
          action === 'timeout-after-commit' || action === 'reset-after-commit' || action === 'malformed-2xx' ? action : 'ok';
        const { record, confirmation } = inst.commit(checked.order, now(), delivery);
        ledger.add(record);
        options.onOrder?.(record);
        stats.ordersCreated++;
        count(delivery);
        done(delivery, delivery === 'ok' || delivery === 'malformed-2xx' ? 200 : 'none', req.ordernr);

        switch (delivery) {
          case 'timeout-after-commit': {
            reply.hijack();
            const socket = request.raw.socket;
            const entry = {
              socket,
              timer: setTimeout(() => socket.destroy(), faults.hangMs),
            };
            hanging.add(entry);
            socket.once('close', () => {
              clearTimeout(entry.timer);
              hanging.delete(entry);
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
      },
    );
  });

  // ---- admin routes for tests and demos (no personal data in any of them)
  app.get<{ Querystring: SimOrderFilter }>('/_sim/orders', async (request) => {
    const q = request.query;
    const filter: SimOrderFilter = {};
    if (typeof q.instance === 'string') filter.instance = q.instance;
    if (typeof q.origin === 'string') filter.origin = q.origin;
    if (typeof q.ordernr === 'string') filter.ordernr = q.ordernr;
    return ledger.list(filter);
  });
  app.delete('/_sim/orders', async (_request, reply) => {
    reset();
    return reply.code(204).send();
  });
  app.get('/_sim/stats', async () => snapshotStats());
  app.get('/_sim/faults', async () => faults.config);
  app.put('/_sim/faults', async (request, reply) => {
    const parsedFaults = faultConfigSchema.safeParse(request.body ?? {});
    if (!parsedFaults.success) {
      return reply.code(400).send({ error: 'invalid fault configuration', issues: parsedFaults.error.issues });
    }
    faults.set(parsedFaults.data);
    if (log) logEvent(log, 'simulator.faults_replaced', { faults: summariseFaults(parsedFaults.data) });
    return faults.config;
  });

  function snapshotStats(): SimStats {
    return { requests: stats.requests, ordersCreated: stats.ordersCreated, byOutcome: { ...stats.byOutcome } };
  }

  function reset(): void {
    ledger.clear();
    for (const inst of instances.values()) inst.reset();
    stats.requests = 0;
    stats.ordersCreated = 0;
    stats.byOutcome = {};
    faults.reseed();
  }

  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 0);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closed = false;
  return {
    url,
    baseUrl(instance: string): string {
      if (!instances.has(instance)) throw new PartnerdError('PD_UNKNOWN_TENANT', `simulator has no instance '${instance}'`);
      return `${url}/${instance}/`;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const h of hanging) {
        clearTimeout(h.timer);
        h.socket.destroy();
      }
      hanging.clear();
      await app.close();
    },
    setFaults(f: FaultConfig): void {
      faults.set(faultConfigSchema.parse(f));
    },
    faults: () => faults.config,
    orders: (filter?: SimOrderFilter) => ledger.list(filter),
    stats: snapshotStats,
    reset,
  };
}

/** For logs: which faults are on, without the scripts' full contents. */
export function summariseFaults(f: FaultConfig): Record<string, unknown> {
  const { script, scriptByOrdernr, ...rest } = f;
  return {
    ...rest,
    ...(script ? { scriptLength: script.length } : {}),
    ...(scriptByOrdernr ? { scriptedOrdernrs: Object.keys(scriptByOrdernr).length } : {}),
  };
}

