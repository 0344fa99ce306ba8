import { Pool } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { parseRetryAfter } from '../brp/brp-exchange.js';
import { BodyTooLarge, networkErrorCode, readCapped } from '../http/http-answer.js';
import { parseJsonText } from '../ingest/payload/json-text.js';
import { decodeUtf8Strict, describeUtf8Error } from '../ingest/payload/strict-utf8.js';

/** The portals partnerd polls (and tells each outcome). */
export type PullPortal = 'wellnet' | 'epassi';
export const PULL_PORTALS: readonly PullPortal[] = ['wellnet', 'epassi'];

/**
 * What went wrong talking to a pull portal:
 *  - `auth`        401/403 (token wrong or revoked, client credentials refused): polling stops
 *  - `throttled`   429 (Retry-After honoured by the back-off)
 *  - `unavailable` 5xx
 *  - `network`     no HTTP answer: refused, reset, timeout, DNS
 *  - `protocol`    an answer we cannot use (other 4xx, not UTF-8, not JSON, wrong shape)
 * Messages carry the portal, the operation and the status, never a token, secret or body.
 */
export type PortalFailureKind = 'auth' | 'throttled' | 'unavailable' | 'network' | 'protocol';

export class PortalHttpError extends Error {
  constructor(
    readonly portal: PullPortal,
    readonly kind: PortalFailureKind,
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'PortalHttpError';
  }
}

export function isPortalHttpError(err: unknown, kind?: PortalFailureKind): err is PortalHttpError {
  return err instanceof PortalHttpError && (kind === undefined || err.kind === kind);
}

/** Largest response body accepted from a portal (a page of 1000 orders is well below). */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface PortalResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as received: it becomes text only through the strict decoder (textOf / jsonOf). */
  body: Buffer;
}

/**
 * A keep-alive connection pool to one portal, with connect / headers / body timeouts. `baseUrl`
 * may carry a path prefix (`https://api.example.se/partner`), which every request path gets.
 */
export class PortalConnection {
  private readonly pool: Pool;
  private readonly prefix: string;

  constructor(readonly portal: PullPortal, baseUrl: string, timeoutMs: number, connections = 4) {
    const url = new URL(baseUrl);
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, {
      connections,
      connect: { timeout: timeoutMs },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      keepAliveTimeout: 10_000,
      keepAliveMaxTimeout: 60_000,
      pipelining: 1,
    });
  }

  /** One request; network problems become PortalHttpError `network` (never a token in the message). */
  async request(what: string, options: { method: 'GET' | 'POST' | 'PATCH'; path: string; headers: Record<string, string>; body?: string }): Promise<PortalResponse> {
    try {
      const res = await this.pool.request({ method: options.method, path: this.prefix + options.path, headers: options.headers, body: options.body });
      const body = await readCapped(res.body, MAX_BODY_BYTES);
      return { status: res.statusCode, headers: res.headers, body };
    } catch (err) {
      if (err instanceof PortalHttpError) throw err;
      if (err instanceof BodyTooLarge) throw new PortalHttpError(this.portal, 'protocol', `${this.portal} ${what}: response body over ${MAX_BODY_BYTES} bytes`);
      const code = networkErrorCode(err);
      throw new PortalHttpError(this.portal, 'network', `${this.portal} ${what}: no answer (${code})`, undefined, undefined, code);
    }
  }

  async close(): Promise<void> {
    await this.pool.close().catch(() => this.pool.destroy());
  }
}

/** The PortalHttpError for a status that is not a success of `what`. */
export function failureFor(portal: PullPortal, what: string, res: PortalResponse): PortalHttpError {
  const s = res.status;
  const msg = `${portal} ${what}: HTTP ${s}`;
  if (s === 401 || s === 403) return new PortalHttpError(portal, 'auth', msg, s);
  if (s === 429) return new PortalHttpError(portal, 'throttled', msg, s, parseRetryAfter(res.headers['retry-after']));
  if (s >= 500) return new PortalHttpError(portal, 'unavailable', msg, s, parseRetryAfter(res.headers['retry-after']));
  return new PortalHttpError(portal, 'protocol', msg, s);
}

/**
 * The body as text, or a `protocol` failure when it is not UTF-8: an answer that cannot be read
 * is unusable as a whole (a poll backs off, the cursor stays), never read with a U+FFFD in it.
 */
export function textOf(portal: PullPortal, what: string, res: PortalResponse): string {
  const decoded = decodeUtf8Strict(res.body);
  if (decoded.ok) return decoded.text;
  throw new PortalHttpError(portal, 'protocol', `${portal} ${what}: HTTP ${res.status} with a body that is not valid UTF-8 (${describeUtf8Error(decoded.error)})`, res.status);
}

/** The body as JSON, or a `protocol` failure. */
export function jsonOf(portal: PullPortal, what: string, res: PortalResponse): unknown {
  const json = parseJsonText(textOf(portal, what, res));
  if (json.ok) return json.value;
  throw new PortalHttpError(portal, 'protocol', `${portal} ${what}: HTTP ${res.status} with a body that is not JSON${json.where ? ` (${json.where})` : ''}`, res.status);
}

