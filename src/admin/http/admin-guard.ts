import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthFailureLimiter } from '../../security/auth-failure-limiter.js';

/**
 * The failed-login limit of the admin listener (security/auth-failure-limiter.ts with the
 * `admin.auth_failures` alert): a client address that keeps presenting wrong tokens to the API
 * (`realm` api) or the console login (`realm` console) is answered 429 with Retry-After for a
 * while, the right token included, and the connection closed.
 */
export async function refuseIfBlocked(limiter: AuthFailureLimiter, realm: string, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  const verdict = await limiter.check(realm, request.ip);
  if (!verdict.blocked) return false;
  await tooMany(reply, verdict.retryAfterSeconds);
  return true;
}

/** Counts a failure; answers 429 if that blocked the client, else leaves the answer to the caller. */
export async function countFailure(limiter: AuthFailureLimiter, realm: string, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  const verdict = await limiter.fail(realm, request.ip);
  if (!verdict.blocked) return false;
  await tooMany(reply, verdict.retryAfterSeconds);
  return true;
}

async function tooMany(reply: FastifyReply, seconds: number): Promise<void> {
  await reply.code(429).header('retry-after', String(seconds)).header('connection', 'close').send({ error: 'too-many-requests' });
}

/** 401 without detail: neither whether a token was sent nor which part was wrong. */
export async function unauthorized(reply: FastifyReply): Promise<void> {
  await reply.code(401).header('www-authenticate', 'Bearer realm="partnerd-admin"').header('connection', 'close').send({ error: 'unauthorized' });
}
