/**
 * `Content-Type` matching for the push routes. Bodies are read as raw bytes whatever their type
 * (the Benify signature is over those bytes, and authentication comes before the 415), so the
 * type is judged here: the media type must match, and a charset, if given, must be UTF-8, the
 * only encoding the bodies are decoded with.
 */
export function hasMediaType(header: string | undefined, mediaType: string): boolean {
  if (header === undefined) return false;
  const [type, ...params] = header.split(';');
  if (type!.trim().toLowerCase() !== mediaType) return false;
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    if (p.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const charset = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') return false;
  }
  return true;
}
