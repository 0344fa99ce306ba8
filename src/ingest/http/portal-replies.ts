import type { FastifyReply } from 'fastify';
import type { FieldError } from '../../domain/canonical-order.js';
import { actiwayReceipt, XML_CONTENT_TYPE } from './actiway-receipt.js';

/**
 * Each push portal is answered in its own format (Benify JSON, Actiway XML), also when Fastify
 * itself refuses the request (413, 415, 404, 405): the error and not-found handlers pick the
 * format by the URL. Bodies carry a status word and, for refusals, the problems with their
 * paths; never an exception message or a stack trace.
 */

/** Refusal kinds every portal has; each portal spells them in its own vocabulary. */
export type ReplyStatus = 'unauthorized' | 'too-many-requests' | 'unavailable' | 'not-found' | 'method-not-allowed' | 'error';

export interface PortalReplies {
  /** Where a problem with the document as a whole is reported (`""` in JSON, `/` in XML). */
  readonly rootPath: string;
  /** 400 / 413 / 415: the request is refused, with every problem and its path. */
  refuse(reply: FastifyReply, statusCode: number, errors: readonly FieldError[]): FastifyReply;
  /** A bare status: 401, 404, 405, 429, 500, 503. */
  status(reply: FastifyReply, statusCode: number, status: ReplyStatus): FastifyReply;
}

/** Benify, and every URL that belongs to no XML portal. */
export const jsonReplies: PortalReplies = {
  rootPath: '',
  refuse: (reply, statusCode, errors) => reply.code(statusCode).send({ status: 'invalid', errors: errors.map(({ path, message }) => ({ path, message })) }),
  status: (reply, statusCode, status) => reply.code(statusCode).send({ status }),
};

export const actiwayReplies: PortalReplies = {
  rootPath: '/',
  refuse: (reply, statusCode, errors) => reply.code(statusCode).type(XML_CONTENT_TYPE).send(actiwayReceipt('rejected', { errors })),
  status: (reply, statusCode, status) => reply.code(statusCode).type(XML_CONTENT_TYPE).send(actiwayReceipt(status)),
};

export const ACTIWAY_PREFIX = '/portals/actiway/';

/** The format for a request that may not have reached a route (404, framework errors). */
export function repliesFor(url: string): PortalReplies {
  return url.startsWith(ACTIWAY_PREFIX) ? actiwayReplies : jsonReplies;
}
