import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { Ledger } from '../../ledger/ledger.js';
import type { PortalIntake } from '../portal-intake.js';
import { AuthFailureLimiter } from '../../security/auth-failure-limiter.js';
import { logEvent } from '../../observability/log-event.js';
import { ACTIWAY_ORDERS, actiwayRoutes } from './actiway-routes.js';
import { AuthGuard } from './auth-guard.js';
import { BENIFY_ORDER, BENIFY_ORDERS, benifyRoutes } from './benify-routes.js';
import { limitConnections } from './connection-limits.js';
import { answerOtherMethods } from './method-not-allowed.js';
import { actiwayReplies, jsonReplies, repliesFor } from './portal-replies.js';
import { addRequestLog, noteRequest } from './request-log.js';
import { listenOn } from '../../http/listen.js';

/**
 * The push door: the HTTP server the push portals (Benify, Actiway) deliver orders to. Only the
 * portals configured in `config.portals` get routes. Every response is the portal's own format
 * with a fixed status word; exception messages and stack traces never leave the process.
 */

/** What the push door needs (the daemon's Services has all of it). */
export interface IngestServices {
  config: Config;
  logger: Logger;
  ledger: Ledger;
  portalIntake: PortalIntake;
}

export interface IngestServer {
  /** e.g. `http://127.0.0.1:8080` (the address actually bound: port 0 becomes the real port). */
  url: string;
  close(): Promise<void>;
}

export function createIngestServer(services: IngestServices): FastifyInstance {
  const { config } = services;
  const logger = services.logger.child({ component: 'ingest-http' });
  const http = config.ingest.http;
  const bodyLimit = http.bodyLimitBytes;

  const app = Fastify({
    logger: false, // one line per request of our own (request-log.ts): never URLs, headers or bodies
    bodyLimit,
    // Slow clients are cut by Node's own timers (408, see answerClientError): all headers within
    // headersTimeoutMs, the whole request within requestTimeoutMs; a socket silent that long is
    // closed too, an idle keep-alive connection after keepAliveTimeoutMs. Node checks the first
    // two periodically: every quarter of the shorter one (at most every second), so a slow client
    // is cut at most that much after its timeout.
    requestTimeout: http.requestTimeoutMs,
    connectionTimeout: http.requestTimeoutMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    maxRequestsPerSocket: http.maxRequestsPerSocket,
    http: {
      headersTimeout: http.headersTimeoutMs,
      connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(http.headersTimeoutMs / 4))),
    },
    // Behind a TLS proxy the client is in X-Forwarded-For, believed only from the proxies named.
    trustProxy: http.trustedProxies.length > 0 ? [...http.trustedProxies] : false,
    // A HEAD twin of the status look-up would run the lookup with a signature made for GET.
    exposeHeadRoutes: false,
    // Fastify's default answers to a bad URL / over-long parameter quote the URL back.
    frameworkErrors: (_err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const replies = repliesFor(request.url);
      void replies.refuse(reply, 400, [{ path: replies.rootPath, message: 'malformed request' }]);
    },
    clientErrorHandler: answerClientError,
    // Our own id for every request (a portal's header is not trusted): on the ingest.request line,
    // in the x-request-id response header, and on the order.* line the request led to.
    genReqId: () => randomUUID(),
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  limitConnections(app.server, http, logger);
  const authFailures = new AuthFailureLimiter('ingest.auth_failures', http.authFailures, logger);

  // No parser outside the portal scopes: a body sent to an unknown URL is never read or parsed.
  app.removeAllContentTypeParsers();
  addRequestLog(app, logger);

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const replies = repliesFor(request.url);
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status === 413) return replies.refuse(reply, 413, [{ path: replies.rootPath, message: `the body exceeds ${bodyLimit} bytes` }]);
    if (status === 415) return replies.refuse(reply, 415, [{ path: replies.rootPath, message: 'unsupported Content-Type' }]);
    if (status >= 400 && status < 500) return replies.refuse(reply, status, [{ path: replies.rootPath, message: 'malformed request' }]);
    // A bug or an outage: the code goes to the log line, nothing of it to the caller.
    noteRequest(request, { reason: typeof err.code === 'string' ? err.code : err.name });
    if (status === 503) return replies.status(reply, 503, 'unavailable');
    return replies.status(reply, 500, 'error');
  });

  app.setNotFoundHandler((request, reply) => repliesFor(request.url).status(reply, 404, 'not-found'));

  const { benify, actiway } = config.portals;
  if (benify) {
    const guard = new AuthGuard(authFailures, 'benify', jsonReplies);
    void app.register(benifyRoutes, { section: benify, bodyLimit, ledger: services.ledger, portalIntake: services.portalIntake, guard });
    answerOtherMethods(app, BENIFY_ORDERS, ['POST'], jsonReplies, 'benify');
    answerOtherMethods(app, BENIFY_ORDER, ['GET'], jsonReplies, 'benify');
  }
  if (actiway) {
    const guard = new AuthGuard(authFailures, 'actiway', actiwayReplies);
    void app.register(actiwayRoutes, { section: actiway, bodyLimit, portalIntake: services.portalIntake, guard });
    answerOtherMethods(app, ACTIWAY_ORDERS, ['POST'], actiwayReplies, 'actiway');
  }
  return app;
}

/** Listens on `config.ingest.http` (host/port overridable, e.g. port 0 in tests). */
export async function startIngestServer(services: IngestServices, override: { host?: string; port?: number } = {}): Promise<IngestServer> {
  const app = createIngestServer(services);
  const host = override.host ?? services.config.ingest.http.host;
  const port = override.port ?? services.config.ingest.http.port;
  const { port: boundPort, url } = await listenOn(app, host, port);
  const portals = (['benify', 'actiway'] as const).filter((p) => services.config.portals[p] !== undefined);
  logEvent(services.logger, 'ingest.listening', { host, port: boundPort, portals });
  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= app.close().then(() => logEvent(services.logger, 'ingest.closed', {}));
      return closing;
    },
  };
}

/**
 * Requests Node's HTTP parser refuses, and requests Node's timers cut (headers or the whole
 * request too slow), never reach Fastify: a fixed answer, no parser message, and the connection
 * is closed once the answer is written, whatever the client is still sending.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : timeout ? 408 : 400;
  const message = timeout ? 'the request took too long to arrive' : 'malformed HTTP request';
  const body = JSON.stringify({ status: 'invalid', errors: [{ path: '', message }] });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}
