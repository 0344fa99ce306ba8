/**
 * BRP gets our text inside XML 1.0. Escaping handles `& < > " '`, but some characters cannot be
 * carried at all, escaped or not (XML 1.0 §2.2 Char). We refuse those instead of dropping them:
 * a silently altered name or note is worse than a clear error at the field that has it.
 */

export interface IllegalXmlChar {
  /** UTF-16 code-unit index in the string (what `text[index]` / `slice` use). */
  index: number;
  /** The code point; a lone surrogate is reported as its own code unit (0xD800–0xDFFF). */
  codePoint: number;
}

/** Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF] */
function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** The first character XML 1.0 cannot carry, or undefined. Emoji (proper surrogate pairs) are fine. */
export function findXmlIllegalChar(text: string): IllegalXmlChar | undefined {
  for (let i = 0; i < text.length; i++) {
    // codePointAt combines a valid pair and returns a lone surrogate as itself (0xD800–0xDFFF),
    // which isXmlChar rejects.
    const cp = text.codePointAt(i)!;
    if (!isXmlChar(cp)) return { index: i, codePoint: cp };
    if (cp > 0xffff) i++;
  }
  return undefined;
}

/** `U+0000`-style label for messages: says which character without echoing the text around it. */
export function formatCodePoint(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The same rule as a pattern, for hot paths that only need "is there one?" (or a replacement). */
export const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
