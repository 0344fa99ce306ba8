import type { FastifyInstance, HTTPMethods } from 'fastify';
import type { PortalReplies } from './portal-replies.js';
import { noteRequest } from './request-log.js';

/**
 * Fastify answers a known URL with an unknown method 404; RFC 9110 says 405 with an `Allow`
 * header. Every other method Fastify supports is routed to a 405, answered in onRequest so no
 * body is read, parsed or authenticated first.
 */
export function answerOtherMethods(app: FastifyInstance, url: string, allowed: readonly HTTPMethods[], replies: PortalReplies, portal: string): void {
  const others = app.supportedMethods.filter((m) => !allowed.includes(m as HTTPMethods)) as HTTPMethods[];
  if (others.length === 0) return;
  app.route({
    method: others,
    url,
    onRequest: async (request, reply) => {
      noteRequest(request, { portal, outcome: 'method-not-allowed' });
      reply.header('allow', allowed.join(', '));
      return replies.status(reply, 405, 'method-not-allowed');
    },
    handler: async (_request, reply) => reply, // never reached: onRequest has answered
  });
}
