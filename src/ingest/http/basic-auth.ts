import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeUtf8Strict } from '../payload/strict-utf8.js';

/**
 * HTTP Basic credentials checked in constant time. Both sides are HMACed with a per-process
 * random key first, so the comparison is always between two 32-byte digests: neither the
 * content nor the length of the configured username or password shows in the timing. Username
 * and password are both compared every time (no early return on a wrong username).
 */
export class BasicCredentials {
  readonly #key = randomBytes(32);
  readonly #username: Buffer;
  readonly #password: Buffer;

  constructor(username: string, password: string) {
    this.#username = this.#mac(username);
    this.#password = this.#mac(password);
  }

  /** True when the `Authorization` header carries exactly these credentials. */
  matches(authorization: string | undefined): boolean {
    const given = parseBasic(authorization);
    const user = timingSafeEqual(this.#mac(given?.username ?? ''), this.#username);
    const pass = timingSafeEqual(this.#mac(given?.password ?? ''), this.#password);
    return given !== undefined && user && pass;
  }

  #mac(value: string): Buffer {
    return createHmac('sha256', this.#key).update(value, 'utf8').digest();
  }
}

/**
 * `Basic base64(user:password)`; the password may contain `:`, the username may not (RFC 7617).
 * Credentials that are not UTF-8 are no credentials (never compared with U+FFFD in them).
 */
export function parseBasic(authorization: string | undefined): { username: string; password: string } | undefined {
  const m = /^Basic[ ]+([A-Za-z0-9+/]+={0,2})[ ]*$/i.exec(authorization ?? '');
  if (!m) return undefined;
  const text = decodeUtf8Strict(Buffer.from(m[1]!, 'base64'));
  if (!text.ok) return undefined;
  const decoded = text.text;
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
