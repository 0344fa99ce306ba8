import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Benify's request signature (benify.md): `X-Benify-Signature: v1=<hex HMAC-SHA256(secret,
 * "{timestamp}.{signed bytes}")>`, with `X-Benify-Timestamp` in Unix seconds. The signed bytes are
 * the raw request body for POST, and `GET {path}` for the status look-up.
 *
 * The verdict is one boolean on purpose: whatever failed (header missing, timestamp outside the
 * window, no matching signature), the caller answers the same 401 and learns nothing more.
 */

export const TIMESTAMP_HEADER = 'x-benify-timestamp';
export const SIGNATURE_HEADER = 'x-benify-signature';

export interface BenifySigningKeys {
  secret: string;
  /** Accepted as well while Benify rotates to the new secret. */
  previousSecret?: string;
  /** How far the timestamp may be from our clock, either way (replay protection). */
  toleranceSeconds: number;
}

/** During rotation Benify sends two values; a handful is plenty, and bounds the work per request. */
const MAX_SIGNATURE_VALUES = 8;
const HEX_SHA256 = /^[0-9a-f]{64}$/;
const UNIX_SECONDS = /^\d{1,12}$/;

function digest(secret: string, timestamp: string, signed: Buffer | string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(signed).digest();
}

/** The header value Benify would send (lower-case hex): for clients, simulators and tests. */
export function benifySignature(secret: string, timestamp: string | number, signed: Buffer | string): string {
  return `v1=${digest(secret, String(timestamp), signed).toString('hex')}`;
}

/** Raw header values: Node joins a repeated custom header with ", ", which the comma split below absorbs. */
export interface SignedRequest {
  timestamp: string | string[] | undefined;
  signature: string | string[] | undefined;
  /** The raw body bytes, or `GET {path}`. */
  signed: Buffer | string;
}

/**
 * What can be judged from the headers alone, before a byte of the body is read: a timestamp
 * inside the window and at least one well-formed `v1=` value. A request that fails this is
 * refused without reading its body; one that passes is verified with verifyBenifySignature.
 */
export function benifySignatureHeadersUsable(request: Omit<SignedRequest, 'signed'>, keys: Pick<BenifySigningKeys, 'toleranceSeconds'>, now: Date): boolean {
  return signatureCandidates(request, keys, now) !== undefined;
}

export function verifyBenifySignature(request: SignedRequest, keys: BenifySigningKeys, now: Date): boolean {
  const candidates = signatureCandidates(request, keys, now);
  if (candidates === undefined) return false;
  const timestamp = request.timestamp as string;

  const expected = [keys.secret, keys.previousSecret].filter((s): s is string => !!s).map((s) => digest(s, timestamp, request.signed));
  // Every pair is compared (no early exit), each in constant time on equal-length (32-byte) buffers.
  let match = false;
  for (const candidate of candidates) {
    for (const want of expected) match = timingSafeEqual(candidate, want) || match;
  }
  return match;
}

/** The `v1=` values to compare, or undefined when the headers alone already fail. */
function signatureCandidates(request: Omit<SignedRequest, 'signed'>, keys: Pick<BenifySigningKeys, 'toleranceSeconds'>, now: Date): Buffer[] | undefined {
  const { timestamp, signature } = request;
  if (typeof timestamp !== 'string' || !UNIX_SECONDS.test(timestamp)) return undefined;
  if (Math.abs(Math.floor(now.getTime() / 1000) - Number(timestamp)) > keys.toleranceSeconds) return undefined;
  if (typeof signature !== 'string') return undefined;
  const candidates: Buffer[] = [];
  for (const part of signature.split(',').slice(0, MAX_SIGNATURE_VALUES)) {
    const value = part.trim();
    if (!value.startsWith('v1=')) continue; // other schemes are not ours to judge
    const hex = value.slice(3);
    if (HEX_SHA256.test(hex)) candidates.push(Buffer.from(hex, 'hex'));
  }
  return candidates.length > 0 ? candidates : undefined;
}
