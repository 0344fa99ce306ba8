/**
 * Every byte partnerd reads from outside (pushed bodies, pulled pages, S&P files, operator files)
 * becomes text here, and only here. Invalid UTF-8 is an error with its place, never a U+FFFD in a
 * person's name that then travels to BRP: a first name with byte 0xFF is refused, not sent as
 * `Tes�san`. A leading byte-order mark is dropped (every portal may send one; none means text by
 * it). The place is found after the fact, from the text a lenient decoder makes of the same
 * bytes, so the strict decoder stays the one that decides.
 */

export type Utf8Text = { ok: true; text: string } | { ok: false; error: Utf8Error };

export interface Utf8Error {
  /** 0-based offset of the first byte that is not UTF-8, in the input as given (BOM included). */
  byte: number;
  /** 1-based line of that byte (CRLF, LF and a lone CR each end a line). */
  line: number;
}

const STRICT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const LENIENT = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });
const BOM = [0xef, 0xbb, 0xbf] as const;
const REPLACEMENT = '\uFFFD';

export function decodeUtf8Strict(bytes: Uint8Array): Utf8Text {
  try {
    return { ok: true, text: STRICT.decode(bytes) };
  } catch {
    return { ok: false, error: locateInvalidUtf8(bytes) };
  }
}

/** "line 3, byte 120": where, never what (the bytes around it are somebody's name). */
export function describeUtf8Error(error: Utf8Error): string {
  return `line ${error.line}, byte ${error.byte}`;
}

/**
 * Where the first invalid sequence starts. Up to the first U+FFFD the lenient text is an exact
 * decoding, so its UTF-8 length is the byte offset; a U+FFFD that the input really holds
 * (EF BF BD) is skipped.
 */
function locateInvalidUtf8(bytes: Uint8Array): Utf8Error {
  const text = LENIENT.decode(bytes);
  let byte = hasBom(bytes) ? BOM.length : 0;
  let from = 0;
  for (let at = text.indexOf(REPLACEMENT); at >= 0; at = text.indexOf(REPLACEMENT, from)) {
    byte += Buffer.byteLength(text.slice(from, at), 'utf8');
    if (!(bytes[byte] === 0xef && bytes[byte + 1] === 0xbf && bytes[byte + 2] === 0xbd)) {
      return { byte, line: lineAt(text, at) };
    }
    byte += 3;
    from = at + 1;
  }
  // Not reached for input the strict decoder refused; a defensive answer rather than a throw.
  return { byte: bytes.length, line: lineAt(text, text.length) };
}

function hasBom(bytes: Uint8Array): boolean {
  return bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2];
}

function lineAt(text: string, index: number): number {
  return (text.slice(0, index).match(/\r\n|\r|\n/g)?.length ?? 0) + 1;
}
