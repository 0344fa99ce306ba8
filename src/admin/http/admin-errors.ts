import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { isPartnerdError, type ErrorCode } from '../../errors.js';
import { logEvent } from '../../observability/log-event.js';

/**
 * What an admin API or console request that failed is answered: an operator's mistake is a 4xx
 * with partnerd's message (messages carry ids, states and field paths, never personal data), an
 * unreachable store a 503 naming it, anything else a 500 without detail (logged).
 */
const STATUS: Partial<Record<ErrorCode, number>> = {
  PD_INVALID_ARGUMENT: 400,
  PD_ORDER_INVALID: 400,
  PD_UNKNOWN_TENANT: 400,
  PD_UNKNOWN_ORDER: 404,
  PD_ILLEGAL_TRANSITION: 409,
  PD_BUSY: 429,
  PD_REDIS_UNAVAILABLE: 503,
  PD_DATABASE_UNAVAILABLE: 503,
};

export interface AdminFailure {
  status: number;
  code: string;
  message: string;
  errors?: Array<{ path: string; message: string }>;
}

export function adminFailure(err: unknown, request: FastifyRequest, logger: Logger): AdminFailure {
  if (isPartnerdError(err) && STATUS[err.code]) {
    const errors = err.code === 'PD_ORDER_INVALID' && Array.isArray(err.details) ? (err.details as AdminFailure['errors']) : undefined;
    return { status: STATUS[err.code]!, code: err.code, message: err.message, ...(errors ? { errors } : {}) };
  }
  const e = err as { statusCode?: number; code?: string; message?: string };
  // Fastify's own 4xx (a body that is not JSON, too large, a CSRF token missing).
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, code: e.code ?? 'BAD_REQUEST', message: e.statusCode === 403 ? 'forbidden' : 'the request is invalid' };
  }
  logEvent(logger, 'admin.request_failed', {
    method: request.method, route: request.routeOptions.url ?? 'unknown', status: 500, code: isPartnerdError(err) ? err.code : e.code,
    reason: e.message ?? String(err),
  });
  return { status: 500, code: 'INTERNAL', message: 'internal error (logged as admin.request_failed)' };
}

export function sendFailure(reply: FastifyReply, failure: AdminFailure): FastifyReply {
  // Busy: the work another request started finishes by itself; a client may simply try again.
  if (failure.status === 429 && failure.code === 'PD_BUSY') reply.header('retry-after', '10');
  return reply.code(failure.status).send({ error: failure.code, message: failure.message, ...(failure.errors ? { errors: failure.errors } : {}) });
}
