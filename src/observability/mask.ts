/**
 * Masking for the few personal values an operator needs to recognise in a log line or admin
 * listing without being able to read them. Everything else personal is never logged at all.
 */

/** `19111111-1116` → `19xxxxxx-xx16`; `111111-1116` → `11xxxx-xx16`. Keeps shape, century and last two digits. */
export function maskPersonnummer(pnr: string): string {
  const chars = [...pnr];
  const digitIdx = chars.map((c, i) => (/\d/.test(c) ? i : -1)).filter((i) => i >= 0);
  const keepHead = new Set(digitIdx.slice(0, 2));
  const keepTail = new Set(digitIdx.slice(-2));
  return chars.map((c, i) => (/\d/.test(c) && !keepHead.has(i) && !keepTail.has(i) ? 'x' : c)).join('');
}

/** API keys travel in BRP's query string; scrub them from any text (URLs, error messages) before it is logged or stored. */
export function scrubApiKey(text: string): string {
  return text.replace(/([?&]apikey=)[^&\s"'<>]*/gi, '$1***');
}

/** `tessan@test.com` → `t***@test.com`. */
export function maskEmail(email: string): string {
  const at = email.indexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}***${email.slice(at)}`;
}
