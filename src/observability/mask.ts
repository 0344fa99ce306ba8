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

/** `host:port` of a store's URL for messages: never the user, the password or the rest of the URL. */
export function urlAddress(url: string, defaultPort: string, unreadable: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || defaultPort}`;
  } catch {
    return unreadable;
  }
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

/** `0731234567` → `07xxxxxx67`: like a personnummer, only the first and last two digits stay. */
export function maskPhone(phone: string): string {
  return maskPersonnummer(phone);
}

/** `Tessan` → `T…`: enough to tell two orders apart on a screen, not to read the name. */
export function maskName(name: string): string {
  const first = [...name.trim()][0];
  return first ? `${first}…` : '';
}

/**
 * Operators' free text (a reason typed in a form) goes into the log stream: anything in it that
 * looks like a personnummer, an e-mail address or a phone number is masked on the way.
 */
export function scrubFreeText(text: string): string {
  return text
    .replace(/[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu, (m) => maskEmail(m))
    .replace(/(?<![\w-])(?:\d{2})?\d{6}[-+]?\d{4}(?![\w-])/g, (m) => maskPersonnummer(m))
    .replace(/(?<![\w-])(?:\+46|0)[\d -]{6,14}\d(?![\w-])/g, (m) => maskPhone(m));
}
