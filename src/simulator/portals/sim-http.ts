import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PortalFaultAction, PortalFaults } from './portal-faults.js';

/** Helpers the pull-portal simulators share. */

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The bearer token of the request, or undefined. */
export function bearerOf(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
  return m?.[1];
}

/** Destroys the connection without an answer (the client sees a reset / socket error). */
export function cut(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.hijack();
  request.raw.socket.destroy();
  return reply;
}

/**
 * Answers a before-processing fault. Returns true when the request was answered (or cut) and the
 * handler must stop; `reset-after-commit` is left to the handler (it processes, then cuts).
 */
export function answerFault(action: PortalFaultAction, faults: PortalFaults, request: FastifyRequest, reply: FastifyReply): boolean {
  switch (action) {
    case 'ok':
    case 'reset-after-commit':
      return false;
    case '401':
      void reply.code(401).header('www-authenticate', 'Bearer error="invalid_token"').send({ error: 'unauthorized', message: 'invalid or expired token' });
      return true;
    case '429':
      void reply.code(429).header('retry-after', String(faults.retryAfterSeconds)).send({ error: 'too_many_requests' });
      return true;
    case '500':
      void reply.code(500).send({ error: 'internal_error' });
      return true;
    case '503':
      void reply.code(503).header('content-type', 'text/html; charset=utf-8').send('<html><body><h1>503 Service Unavailable</h1></body></html>');
      return true;
    case 'reset':
      cut(request, reply);
      return true;
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function nonBlank(v: unknown): v is string {
  return typeof v === 'string' && v.trim() !== '';
}
