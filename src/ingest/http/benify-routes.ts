import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PortalsConfig } from '../../config/schema.js';
import type { Ledger } from '../../ledger/ledger.js';
import type { PortalIntake } from '../portal-intake.js';
import type { AuthGuard } from './auth-guard.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, benifySignatureHeadersUsable, verifyBenifySignature } from './benify-signature.js';
import { readBenifyBody } from '../payload/read-portal-payload.js';
import { hasMediaType } from './media-type.js';
import { lookUpOrderStatus } from './order-status.js';
import { jsonReplies } from './portal-replies.js';
import { ingestPushed } from './push-intake.js';
import { noteRequest } from './request-log.js';

/**
 * Benify (benify.md): `POST /portals/benify/orders` and the signed status look-up
 * `GET /portals/benify/orders/:orderId`. Order of checks on POST: a client blocked after too
 * many failed signatures (429) and signature headers that cannot be valid (401), both before the
 * body is read → body limit (413, while reading) → signature over the raw bytes (401; every 401
 * and 429 closes the connection) → Content-Type (415) → readBenifyBody, the
 * reading `partnerd render benify` does too: UTF-8, JSON, adapter (400) → intake. The signature comes first so an unauthenticated caller learns nothing about the body.
 */

export const BENIFY_ORDERS = '/portals/benify/orders';
export const BENIFY_ORDER = '/portals/benify/orders/:orderId';

export type BenifySection = NonNullable<PortalsConfig['benify']>;

export interface BenifyRouteDeps {
  section: BenifySection;
  bodyLimit: number;
  ledger: Ledger;
  portalIntake: Pick<PortalIntake, 'ingest'>;
  /** Failed signatures are counted per client; a client over the limit gets 429. */
  guard: AuthGuard;
  now?: () => Date;
}

const replies = jsonReplies;

export async function benifyRoutes(scope: FastifyInstance, deps: BenifyRouteDeps): Promise<void> {
  const now = deps.now ?? (() => new Date());

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

  const { guard } = deps;

  // Before a byte of the body is read: a blocked client (429), and headers that cannot carry a
  // valid signature (401: no timestamp in the window, no well-formed v1= value). Both close the
  // connection, so a client that fails here cannot hold it by sending the body slowly.
  scope.addHook('onRequest', async (request, reply) => {
    noteRequest(request, { portal: 'benify' });
    if (await guard.refusedAsBlocked(request, reply)) return reply;
    const headers = { timestamp: request.headers[TIMESTAMP_HEADER], signature: request.headers[SIGNATURE_HEADER] };
    if (!benifySignatureHeadersUsable(headers, deps.section, now())) return guard.refuse(request, reply);
    return undefined;
  });

  scope.post(BENIFY_ORDERS, { bodyLimit: deps.bodyLimit }, async (request, reply) => {
    const at = now();
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    if (!signed(request, raw, at)) return guard.refuse(request, reply);
    await guard.passed(request);

    if (!hasMediaType(request.headers['content-type'], 'application/json')) {
      noteRequest(request, { outcome: 'unsupported-media-type' });
      return replies.refuse(reply, 415, [{ path: '', message: 'Content-Type must be application/json' }]);
    }
    const read = readBenifyBody(raw, at);
    if (!read.ok) {
      noteRequest(request, { outcome: 'invalid' });
      return replies.refuse(reply, 400, read.errors);
    }

    const outcome = await ingestPushed(deps.portalIntake, read.orders[0]!.adapted, at, request.id);
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
    // Signed is the path exactly as received (still percent-encoded), without any query string.
    const path = request.url.split('?', 1)[0]!;
    if (!signed(request, `GET ${path}`, at)) return guard.refuse(request, reply);
    await guard.passed(request);

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
