import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { logEvent } from '../../observability/log-event.js';

/**
 * One structured line per request (`ingest.request`, with the request id Fastify gave it, which
 * the response's `x-request-id` header and the resulting `order.*` line carry too) (Fastify's own request logging is off: it would log URLs and
 * headers we do not control). Routes note what they learnt — the portal, the portal's order id
 * once the request is authenticated, the outcome — and the line is written when the response
 * has gone out. Never bodies, headers, signatures or credentials.
 */
export interface RequestNote {
  portal?: string;
  /** The portal's order id: not personal data, and only noted after authentication. */
  ordernr?: string;
  /** accepted, duplicate, unroutable, invalid, unauthorized, … */
  outcome?: string;
  /** A short, personal-data-free cause for a 5xx (an error code or class). */
  reason?: string;
}

const notes = new WeakMap<FastifyRequest, RequestNote>();

export function noteRequest(request: FastifyRequest, note: RequestNote): void {
  notes.set(request, { ...notes.get(request), ...note });
}

/** Attacker-chosen text in a log line: bounded. */
const MAX_LOGGED_ORDERNR = 64;

export function addRequestLog(app: FastifyInstance, logger: Logger): void {
  app.addHook('onResponse', async (request, reply) => {
    const note = notes.get(request) ?? {};
    const status = reply.statusCode;
    logEvent(logger, 'ingest.request', {
      requestId: request.id,
      method: request.method,
      // The route pattern, not the URL: a URL carries the order id of unauthenticated requests.
      route: request.routeOptions.url ?? '(unmatched)',
      portal: note.portal,
      ordernr: note.ordernr?.slice(0, MAX_LOGGED_ORDERNR),
      outcome: note.outcome,
      reason: note.reason,
      status,
      elapsedMs: Math.round(reply.elapsedTime),
    });
  });
}
