import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PortalsConfig } from '../../config/schema.js';
import type { Ledger } from '../../ledger/ledger.js';
import { adapterFor } from '../../portals/portal-registry.js';
import type { PortalIntake } from '../portal-intake.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyBenifySignature } from './benify-signature.js';
import { decodeUtf8, hasMediaType } from './media-type.js';
import { lookUpOrderStatus } from './order-status.js';
import { jsonReplies } from './portal-replies.js';
import { ingestPushed } from './push-intake.js';
import { noteRequest } from './request-log.js';

/**
 * Benify (benify.md): `POST /portals/benify/orders` and the signed status look-up
 * `GET /portals/benify/orders/:orderId`. Order of checks on POST: body limit (413, while
 * reading) → signature over the raw bytes (401) → Content-Type (415) → JSON (400) → adapter and
 * intake. The signature comes first so an unauthenticated caller learns nothing about the body.
 */

export const BENIFY_ORDERS = '/portals/benify/orders';
export const BENIFY_ORDER = '/portals/benify/orders/:orderId';

export type BenifySection = NonNullable<PortalsConfig['benify']>;

export interface BenifyRouteDeps {
  section: BenifySection;
  bodyLimit: number;
  ledger: Ledger;
  portalIntake: Pick<PortalIntake, 'ingest'>;
  now?: () => Date;
}

const replies = jsonReplies;

export async function benifyRoutes(scope: FastifyInstance, deps: BenifyRouteDeps): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const adapter = adapterFor('benify');

  // The signature is over the raw bytes: every body is kept as a Buffer, whatever its type.
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.bodyLimit }, (_request, body, done) => done(null, body));

  function signed(request: FastifyRequest, signedBytes: Buffer | string, at: Date): boolean {
    return verifyBenifySignature(
      { timestamp: request.headers[TIMESTAMP_HEADER], signature: request.headers[SIGNATURE_HEADER], signed: signedBytes },
      deps.section,
      at,
    );
  }

  function unauthorized(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    noteRequest(request, { outcome: 'unauthorized' });
    return replies.status(reply, 401, 'unauthorized');
  }

  scope.post(BENIFY_ORDERS, { bodyLimit: deps.bodyLimit }, async (request, reply) => {
    const at = now();
    noteRequest(request, { portal: 'benify' });
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    if (!signed(request, raw, at)) return unauthorized(request, reply);

    if (!hasMediaType(request.headers['content-type'], 'application/json')) {
      noteRequest(request, { outcome: 'unsupported-media-type' });
      return replies.refuse(reply, 415, [{ path: '', message: 'Content-Type must be application/json' }]);
    }
    const text = decodeUtf8(raw);
    let payload: unknown;
    try {
      if (text === undefined) throw new Error('not UTF-8');
      payload = JSON.parse(text);
    } catch {
      // Never the parser's message: it quotes the body, which carries personal data.
      noteRequest(request, { outcome: 'invalid' });
      return replies.refuse(reply, 400, [{ path: '', message: 'the body is not valid UTF-8 JSON' }]);
    }

    const outcome = await ingestPushed(deps.portalIntake, adapter.toPortalOrder(payload, at), at, request.id);
    noteRequest(request, { ordernr: outcome.ordernr, outcome: outcome.kind === 'accepted' && outcome.unroutable ? 'unroutable' : outcome.kind });
    switch (outcome.kind) {
      case 'accepted':
        return reply.code(202).send({ status: 'accepted', key: outcome.key });
      case 'duplicate':
        return reply.code(200).send({ status: 'duplicate', key: outcome.key });
      case 'invalid':
        return replies.refuse(reply, 400, outcome.errors);
      case 'unavailable':
        noteRequest(request, { reason: outcome.reason });
        return replies.status(reply, 503, 'unavailable');
    }
  });

  scope.get<{ Params: { orderId: string } }>(BENIFY_ORDER, async (request, reply) => {
    const at = now();
    noteRequest(request, { portal: 'benify' });
    // Signed is the path exactly as received (still percent-encoded), without any query string.
    const path = request.url.split('?', 1)[0]!;
    if (!signed(request, `GET ${path}`, at)) return unauthorized(request, reply);

    const { orderId } = request.params;
    noteRequest(request, { ordernr: orderId });
    let status;
    try {
      status = await lookUpOrderStatus(deps.ledger, 'benify', orderId);
    } catch (err) {
      noteRequest(request, { outcome: 'unavailable', reason: String((err as { code?: unknown }).code ?? 'ledger read failed') });
      return replies.status(reply, 503, 'unavailable');
    }
    if (!status) {
      noteRequest(request, { outcome: 'unknown' });
      return reply.code(404).send({ status: 'unknown' });
    }
    noteRequest(request, { outcome: status.state });
    return reply.code(200).send(status);
  });
}
