/**
 * What happened on the wire for one partner-order POST, before any interpretation.
 * `phase` is the crux of exactly-once: a failure before the request left us is safe to retry,
 * a failure after it may hide an order BRP already created.
 */
export type BrpExchange =
  | { kind: 'response'; status: number; body: string; retryAfterMs?: number; bodyError?: string }
  | { kind: 'failure'; phase: 'before-send' | 'after-send'; code: string; message: string };

/** Error codes that prove the request never reached BRP (no TCP connection, no DNS answer). */
const BEFORE_SEND_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN',
]);

/**
 * Anything not known to happen before sending is treated as after-send: a reset, a socket closed
 * by the other side, a headers/body timeout. Unknown means in doubt, never "safe to resend".
 */
export function failurePhase(code: string): 'before-send' | 'after-send' {
  return BEFORE_SEND_CODES.has(code) ? 'before-send' : 'after-send';
}

/** Retry-After as delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
