/**
 * JSON text → value, for payloads from outside. The parser's own message is never passed on: V8
 * quotes the text around the fault ("Unexpected token 'T', "{"name": Tessan}" is not valid
 * JSON"), and the text is personal data. What is kept is where, when V8 says so.
 */

export type JsonValue = { ok: true; value: unknown } | { ok: false; where?: string };

export function parseJsonText(text: string): JsonValue {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const position = /\bat position (\d+)\b/.exec(err instanceof Error ? err.message : '')?.[1];
    if (position === undefined) return { ok: false };
    return { ok: false, where: lineAndColumn(text, Number(position)) };
  }
}

/** "line 2, column 7" (1-based; CRLF, LF and a lone CR each end a line). */
function lineAndColumn(text: string, index: number): string {
  const before = text.slice(0, index);
  const breaks = before.match(/\r\n|\r|\n/g)?.length ?? 0;
  const lineStart = Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r')) + 1;
  return `line ${breaks + 1}, column ${index - lineStart + 1}`;
}
