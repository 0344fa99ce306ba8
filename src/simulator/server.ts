import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { PartnerdError } from '../errors.js';
import { XsdValidator } from '../brp/xsd-validator.js';
import { errorsXml, type SimErrorName } from './error-codes.js';
import { FaultInjector, faultConfigSchema, type FaultConfig } from './faults.js';
import { SimInstance, type BrpSimulatorInstanceOptions } from './instance.js';
import { OrderLedger, type SimOrderFilter, type SimOrderRecord } from './order-record.js';
import { partnerOrderRoute, sendError as sendBrpError, XML_CONTENT_TYPE, type SimStats } from './partner-order-route.js';
import { logEvent } from '../observability/log-event.js';
import { listenOn } from '../http/listen.js';

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
  onOrder?: (record: SimOrderRecord) => void | Promise<void>;
  /**
   * Keep every order in memory for /_sim/orders and `orders()` (default true). False for a
   * harness whose record is `onOrder`'s: 100,000 records held in the heap make the simulator's
   * own garbage collection pause it, and the requests that arrive meanwhile are stamped together.
   */
  keepOrders?: boolean;
}

export type { SimOutcome, SimStats } from './partner-order-route.js';

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
const DEFAULT_BODY_LIMIT = 1024 * 1024;

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
  const ledger = new OrderLedger(options.keepOrders ?? true);
  const stats: SimStats = { requests: 0, ordersCreated: 0, byOutcome: {} };
  const hanging = new Set<{ socket: Socket; timer: NodeJS.Timeout }>();

  const app: FastifyInstance = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    forceCloseConnections: true,
    return503OnClosing: true,
  });

  const sendError = (reply: FastifyReply, name: SimErrorName, debuginfo = '') => sendBrpError(stats, reply, name, debuginfo);

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
      partnerOrderRoute({ instances, faults, validator, ledger, stats, hanging, now, ...(log ? { log } : {}), ...(options.onOrder ? { onOrder: options.onOrder } : {}) }),
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

  const { url } = await listenOn(app, host, options.port ?? 0);

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

