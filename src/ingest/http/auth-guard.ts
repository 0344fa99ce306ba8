import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthFailureLimiter } from '../../security/auth-failure-limiter.js';
import type { PortalReplies } from './portal-replies.js';
import { noteRequest } from './request-log.js';

/**
 * A push portal's authentication, on the shared failure limiter (security/auth-failure-limiter.ts),
 * answered in the portal's own format. Every refusal closes the connection (`Connection: close`),
 * and a refusal in onRequest happens before a byte of the body is read: a client that fails
 * authentication cannot keep the connection busy by sending the rest slowly.
 */
export class AuthGuard {
  constructor(
    private readonly limiter: AuthFailureLimiter,
    /** The limiter's realm: the portal. */
    private readonly portal: string,
    private readonly replies: PortalReplies,
  ) {}

  /** A blocked client is answered 429 with Retry-After; true when it was. */
  async refusedAsBlocked(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const verdict = await this.limiter.check(this.portal, request.ip);
    if (!verdict.blocked) return false;
    this.#tooMany(request, reply, verdict.retryAfterSeconds);
    return true;
  }

  /** A failed check: counted; 401 (`onUnauthorized` adds its headers), or 429 once this failure blocks the client. */
  async refuse(request: FastifyRequest, reply: FastifyReply, onUnauthorized: (reply: FastifyReply) => void = () => undefined): Promise<FastifyReply> {
    const verdict = await this.limiter.fail(this.portal, request.ip);
    if (verdict.blocked) return this.#tooMany(request, reply, verdict.retryAfterSeconds);
    noteRequest(request, { outcome: 'unauthorized' });
    onUnauthorized(reply);
    reply.header('connection', 'close');
    return this.replies.status(reply, 401, 'unauthorized');
  }

  async passed(request: FastifyRequest): Promise<void> {
    await this.limiter.succeed(this.portal, request.ip);
  }

  #tooMany(request: FastifyRequest, reply: FastifyReply, retryAfterSeconds: number): FastifyReply {
    noteRequest(request, { outcome: 'too-many-auth-failures' });
    reply.header('retry-after', String(retryAfterSeconds)).header('connection', 'close');
    return this.replies.status(reply, 429, 'too-many-requests');
  }
}
