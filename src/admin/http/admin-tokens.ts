import { createHash, timingSafeEqual } from 'node:crypto';
import type { AdminToken } from '../../config/schema.js';

/**
 * The named bearer tokens of the admin API and console (config `admin.tokens`, each from its own
 * file). A presented token is compared with every configured one in constant time: both sides
 * are hashed to 32 bytes first (timingSafeEqual needs equal lengths, and a length check would
 * leak the length), and the loop never stops early, so the time taken says nothing about which
 * token, or how much of one, matched. The value is never logged; the name is the actor.
 */
export class AdminTokens {
  readonly #digests: Array<{ name: string; digest: Buffer }>;

  constructor(tokens: readonly AdminToken[]) {
    this.#digests = tokens.map((t) => ({ name: t.name, digest: digest(t.token) }));
  }

  /** The name of the token presented, if it is one of ours. */
  verify(presented: string | undefined): string | undefined {
    const d = digest(presented ?? '');
    let found: string | undefined;
    for (const t of this.#digests) if (timingSafeEqual(d, t.digest) && found === undefined && presented) found = t.name;
    return found;
  }

  /**
   * A short fingerprint of the named token's current value, kept in a console session: a token
   * that is removed or rotated in the config ends the sessions opened with it.
   */
  fingerprint(name: string): string | undefined {
    const t = this.#digests.find((x) => x.name === name);
    return t ? createHash('sha256').update('session\n').update(t.digest).digest('base64url').slice(0, 22) : undefined;
  }

  get size(): number {
    return this.#digests.length;
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The token of an `Authorization: Bearer …` header (RFC 6750), else undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header ?? '');
  return m?.[1];
}
