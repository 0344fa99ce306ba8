import type { FastifyInstance } from 'fastify';
import { assertNoDeclarations } from '../../brp/safe-xml.js';
import type { PortalsConfig } from '../../config/schema.js';
import { isPartnerdError } from '../../errors.js';
import { adapterFor } from '../../portals/portal-registry.js';
import type { PortalIntake } from '../portal-intake.js';
import { actiwayReceipt, XML_CONTENT_TYPE } from './actiway-receipt.js';
import { BasicCredentials } from './basic-auth.js';
import { decodeUtf8, hasMediaType } from './media-type.js';
import { actiwayReplies } from './portal-replies.js';
import { ingestPushed } from './push-intake.js';
import { noteRequest } from './request-log.js';

/**
 * Actiway (actiway.md): `POST /portals/actiway/orders`, HTTP Basic, an XML document. Order of
 * checks: credentials (401, in onRequest: before a byte of the body is read) → body limit (413,
 * while reading) → Content-Type (415) → UTF-8 and no DOCTYPE/ENTITY declaration (400, before
 * anything parses the document: no entity is ever expanded) → adapter and intake.
 */

export const ACTIWAY_ORDERS = '/portals/actiway/orders';

export type ActiwaySection = NonNullable<PortalsConfig['actiway']>;

export interface ActiwayRouteDeps {
  section: ActiwaySection;
  bodyLimit: number;
  portalIntake: Pick<PortalIntake, 'ingest'>;
  now?: () => Date;
}

const replies = actiwayReplies;

export async function actiwayRoutes(scope: FastifyInstance, deps: ActiwayRouteDeps): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const adapter = adapterFor('actiway');
  const credentials = new BasicCredentials(deps.section.username, deps.section.password);

  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.bodyLimit }, (_request, body, done) => done(null, body));

  scope.addHook('onRequest', async (request, reply) => {
    noteRequest(request, { portal: 'actiway' });
    if (credentials.matches(request.headers.authorization)) return;
    noteRequest(request, { outcome: 'unauthorized' });
    reply.header('www-authenticate', 'Basic realm="actiway"');
    return replies.status(reply, 401, 'unauthorized');
  });

  scope.post(ACTIWAY_ORDERS, { bodyLimit: deps.bodyLimit }, async (request, reply) => {
    const at = now();
    if (!hasMediaType(request.headers['content-type'], 'application/xml')) {
      noteRequest(request, { outcome: 'unsupported-media-type' });
      return replies.refuse(reply, 415, [{ path: '/', message: 'Content-Type must be application/xml' }]);
    }
    const text = decodeUtf8(Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));
    if (text === undefined) {
      noteRequest(request, { outcome: 'invalid' });
      return replies.refuse(reply, 400, [{ path: '/', message: 'the document is not valid UTF-8' }]);
    }
    try {
      assertNoDeclarations(text);
    } catch (err) {
      if (!isPartnerdError(err, 'PD_XML_UNSAFE')) throw err;
      noteRequest(request, { outcome: 'unsafe-xml' });
      return replies.refuse(reply, 400, [{ path: '/', message: 'a DOCTYPE or entity declaration is not accepted' }]);
    }

    const outcome = await ingestPushed(deps.portalIntake, adapter.toPortalOrder(text, at), at, request.id);
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
