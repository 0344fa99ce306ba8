import type { FastifyInstance } from 'fastify';
import type { PortalsConfig } from '../../config/schema.js';
import type { PortalIntake } from '../portal-intake.js';
import { actiwayReceipt, XML_CONTENT_TYPE } from './actiway-receipt.js';
import type { AuthGuard } from './auth-guard.js';
import { BasicCredentials } from './basic-auth.js';
import { readActiwayBody } from '../payload/read-portal-payload.js';
import { hasMediaType } from './media-type.js';
import { actiwayReplies } from './portal-replies.js';
import { ingestPushed } from './push-intake.js';
import { noteRequest } from './request-log.js';

/**
 * Actiway (actiway.md): `POST /portals/actiway/orders`, HTTP Basic, an XML document. Order of
 * checks: a client blocked after too many failed logins (429) and credentials (401), both in
 * onRequest, before a byte of the body is read, closing the connection → body limit (413,
 * while reading) → Content-Type (415) → readActiwayBody, the reading `partnerd render actiway`
 * does too: UTF-8, no DOCTYPE/ENTITY declaration (before anything parses the document: no entity
 * is ever expanded), adapter (400) → intake.
 */

export const ACTIWAY_ORDERS = '/portals/actiway/orders';

export type ActiwaySection = NonNullable<PortalsConfig['actiway']>;

export interface ActiwayRouteDeps {
  section: ActiwaySection;
  bodyLimit: number;
  portalIntake: Pick<PortalIntake, 'ingest'>;
  /** Failed credentials are counted per client; a client over the limit gets 429. */
  guard: AuthGuard;
  now?: () => Date;
}

const replies = actiwayReplies;

export async function actiwayRoutes(scope: FastifyInstance, deps: ActiwayRouteDeps): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const credentials = new BasicCredentials(deps.section.username, deps.section.password);

  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.bodyLimit }, (_request, body, done) => done(null, body));

  scope.addHook('onRequest', async (request, reply) => {
    noteRequest(request, { portal: 'actiway' });
    if (await deps.guard.refusedAsBlocked(request, reply)) return reply;
    if (credentials.matches(request.headers.authorization)) return deps.guard.passed(request);
    return deps.guard.refuse(request, reply, (r) => r.header('www-authenticate', 'Basic realm="actiway"'));
  });

  scope.post(ACTIWAY_ORDERS, { bodyLimit: deps.bodyLimit }, async (request, reply) => {
    const at = now();
    if (!hasMediaType(request.headers['content-type'], 'application/xml')) {
      noteRequest(request, { outcome: 'unsupported-media-type' });
      return replies.refuse(reply, 415, [{ path: '/', message: 'Content-Type must be application/xml' }]);
    }
    const read = readActiwayBody(Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0), at);
    if (!read.ok) {
      noteRequest(request, { outcome: read.kind === 'unsafe' ? 'unsafe-xml' : 'invalid' });
      return replies.refuse(reply, 400, read.errors);
    }

    const outcome = await ingestPushed(deps.portalIntake, read.orders[0]!.adapted, at, request.id);
    noteRequest(request, { ordernr: outcome.ordernr, outcome: outcome.kind === 'accepted' && outcome.unroutable ? 'unroutable' : outcome.kind });
    switch (outcome.kind) {
      case 'accepted':
        return reply.code(202).type(XML_CONTENT_TYPE).send(actiwayReceipt('accepted', { orderId: outcome.ordernr }));
      case 'duplicate':
        return reply.code(200).type(XML_CONTENT_TYPE).send(actiwayReceipt('duplicate', { orderId: outcome.ordernr }));
      case 'invalid':
        return replies.refuse(reply, 400, outcome.errors);
      case 'unavailable':
        noteRequest(request, { reason: outcome.reason });
        return replies.status(reply, 503, 'unavailable');
    }
  });
}
