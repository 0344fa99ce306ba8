/**
 * Reading an HTTP answer, the same for BRP and for the portals' APIs (undici bodies).
 *
 * A body over the cap is an error, never cut short: a truncated answer must not be read as if it
 * were the whole one. For BRP that makes an oversized 2xx `confirmed_unparsed` with the reason
 * (classify-outcome.ts: the status line has decided, the body is not BRP talking), and any other
 * status an answer without BRP's <errors>; for a portal it is a `protocol` failure.
 */
export class BodyTooLarge extends Error {
  readonly code = 'BODY_TOO_LARGE';
  constructor(readonly maxBytes: number) {
    super(`response body over ${maxBytes} bytes`);
  }
}

export async function readCapped(body: AsyncIterable<Buffer> & { destroy?: (err?: Error) => void }, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy?.();
      throw new BodyTooLarge(maxBytes);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The code of a network error (undici puts it on the error or its cause), for phases and messages. */
export function networkErrorCode(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  return e.code ?? e.cause?.code ?? (err instanceof Error ? err.name : 'UNKNOWN');
}
