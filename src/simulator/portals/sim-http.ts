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
 * handler must stop; `reset-after-commit` and `invalid-utf8` are left to the handler.
 */
export function answerFault(action: PortalFaultAction, faults: PortalFaults, request: FastifyRequest, reply: FastifyReply): boolean {
  switch (action) {
    case 'ok':
    case 'reset-after-commit':
    case 'invalid-utf8':
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

export function nonBlank(v: unknown): v is string {
  return typeof v === 'string' && v.trim() !== '';
}

/**
 * A JSON answer as bytes with 0xFF inserted after the first three characters of the first string
 * value of `key` (`"givenName":"Tes\xFFsan"`); without that key, before the whole body.
 */
export function withInvalidUtf8(body: unknown, key: string): Buffer {
  const text = JSON.stringify(body);
  const marker = `"${key}":"`;
  const at = text.indexOf(marker);
  const split = at < 0 ? 0 : Buffer.byteLength(text.slice(0, at + marker.length), 'utf8') + 3;
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([bytes.subarray(0, split), Buffer.from([0xff]), bytes.subarray(split)]);
}
