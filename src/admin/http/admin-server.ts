import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { logEvent } from '../../observability/log-event.js';
import { EventLoopHealth, type EventLoopHealthOptions } from './event-loop-health.js';
import { checkReadiness, type ReadinessSources } from './readiness.js';
import { listenOn } from '../../http/listen.js';

/**
 * The operators' listener (config `admin.http`, 127.0.0.1:8081 by default), never the push-ingest
 * port: what runs the service asks here, portals never reach it.
 *
 *   GET /healthz  200 while the process is alive and its event loop is not blocked, else 503
 *   GET /readyz   200 when stores, config, workers and shutdown state allow work, else 503
 *                 with the reason: {"status":"not ready","reason":"redis: …","checks":{…}}
 *   GET /metrics  Prometheus text format: the process's own metrics, then the shared-state gauges
 *
 * `createAdminServer` returns the Fastify instance before it listens, so more can be registered
 * on it (an authenticated admin API, a web console, Bull Board) with `app.register(plugin)`.
 */
export interface AdminServerOptions extends ReadinessSources {
  logger: Logger;
  /** Scraped in order and concatenated (their metric names must not overlap). */
  registries: readonly Registry[];
  eventLoop?: EventLoopHealthOptions;
}

export interface AdminServer {
  /** e.g. `http://127.0.0.1:8081` (the address actually bound). */
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

export function createAdminServer(options: AdminServerOptions): FastifyInstance {
  const loop = new EventLoopHealth(options.eventLoop);
  const app = Fastify({ logger: false, exposeHeadRoutes: true });
  app.addHook('onClose', async () => loop.close());

  app.get('/healthz', async (_request, reply) => {
    const report = loop.report();
    return reply.code(report.blocked ? 503 : 200).send({ status: report.blocked ? 'blocked' : 'ok', eventLoop: report });
  });

  app.get('/readyz', async (_request, reply) => {
    const report = await checkReadiness(options);
    return reply
      .code(report.ready ? 200 : 503)
      .send(report.ready ? { status: 'ready', checks: report.checks } : { status: 'not ready', reason: report.reason, checks: report.checks });
  });

  app.get('/metrics', async (_request, reply) => {
    const texts = await Promise.all(options.registries.map((r) => r.metrics()));
    return reply.type(options.registries[0]?.contentType ?? 'text/plain; version=0.0.4; charset=utf-8').send(texts.join(''));
  });

  return app;
}

/** Listens on host:port (port 0: a free one) and logs `admin.listening`. */
export async function listenAdminServer(app: FastifyInstance, logger: Logger, host: string, port: number): Promise<AdminServer> {
  const { port: boundPort, url } = await listenOn(app, host, port);
  logEvent(logger, 'admin.listening', { host, port: boundPort });
  let closing: Promise<void> | undefined;
  return {
    url,
    app,
    close() {
      closing ??= app.close().then(() => logEvent(logger, 'admin.closed', {}));
      return closing;
    },
  };
}
