/**
 * partnerd's error vocabulary, in one catalogue (after Fastify's lib/errors.js): every error a
 * module throws on purpose is a PartnerdError with a stable code that logs and tests can match,
 * or one of the few INTERNAL_ERRORS below. Messages never carry personal data or API keys:
 * callers pass ids and field paths, not values. What a caller needs beyond the code is in
 * `details` (a MalformedXml's line, an invalid order's errors): no message is ever parsed.
 * docs/errors.md lists every code; test/errors.test.ts holds src/ and the docs to
 * this file (every code thrown somewhere and documented, no other error thrown unlisted).
 */

export const ERROR_CODES = {
  PD_CONFIG_INVALID: 'configuration is invalid',
  PD_CONFIG_UNREADABLE: 'configuration file cannot be read',
  PD_ORDER_INVALID: 'order failed validation',
  PD_XSD_INVALID: 'document does not satisfy the createpartnerorder XSD',
  PD_XML_UNSAFE: 'XML with a DOCTYPE or entity declaration is refused',
  PD_XML_MALFORMED: 'XML is not well-formed',
  PD_UNKNOWN_TENANT: 'no tenant with that name is configured',
  PD_UNKNOWN_ORDER: 'no order with that key is known',
  PD_REDIS_UNAVAILABLE: 'Redis does not answer',
  PD_DATABASE_UNAVAILABLE: 'the ledger database does not answer',
  PD_DATABASE_UNRECORDED: 'BRP answered, but the outcome could not be recorded in the ledger',
  PD_DATABASE_SCHEMA_OUTDATED: 'the ledger database schema is older than this build',
  PD_ILLEGAL_TRANSITION: 'order state does not allow that action',
  PD_INVALID_ARGUMENT: 'invalid argument',
  PD_BUSY: 'another process is doing this work right now',
  PD_FILE_UNREADABLE: 'cannot read file',
  PD_LISTEN_FAILED: 'cannot listen',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class PartnerdError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message?: string, details?: unknown) {
    super(message ? `${ERROR_CODES[code]}: ${message}` : ERROR_CODES[code]);
    this.name = 'PartnerdError';
    this.code = code;
    this.details = details;
  }
}

export function isPartnerdError(err: unknown, code?: ErrorCode): err is PartnerdError {
  return err instanceof PartnerdError && (code === undefined || err.code === code);
}

/**
 * The errors that are not PartnerdErrors, on purpose, and why. Each is control flow inside a
 * module (caught there, or by the library it is thrown to, before any operator sees it), a
 * carrier of a result its caller classifies, or an assertion about the code itself (a bug, never
 * a condition of the input or of the world). Anything else thrown in src/ is a PartnerdError.
 */
export const INTERNAL_ERRORS: ReadonlyArray<{ file: string; error: string; why: string }> = [
  { file: 'src/xml/xml-reader.ts', error: 'XmlReadError', why: 'control flow: ends a typed read of an XML document; parseBrpResponse returns it as { kind: \'unparseable\', reason }' },
  { file: 'src/config/env-substitution.ts', error: 'MissingEnvError', why: 'carrier: the config loaders turn it into PD_CONFIG_INVALID naming the file' },
  { file: 'src/queue/brp-worker.ts', error: 'TransientBrpError', why: 'control flow: BullMQ retries the job with back-off' },
  { file: 'src/queue/brp-worker.ts', error: 'DelayedError', why: 'BullMQ\'s own: the job was moved to the delayed set' },
  { file: 'src/portal-clients/portal-http.ts', error: 'PortalHttpError', why: 'carrier: a pull portal\'s answer classified (auth, throttled, unavailable, network, protocol); the poller and the notifier act on the kind' },
  { file: 'src/http/http-answer.ts', error: 'BodyTooLarge', why: 'control flow: an answer over its cap; BRP\'s becomes an unreadable answer, a pull portal\'s a protocol PortalHttpError' },
  { file: 'src/cli/main.ts', error: 'InvalidArgumentError', why: 'commander\'s own: an option parser refusing a value, reported by commander' },
  { file: 'src/admin/http/invoice-download.ts', error: 'Error', why: 'the reason a download stream is destroyed with; never thrown to a caller' },
  { file: 'src/daemon/state-gauges.ts', error: 'Error', why: 'control flow: a scrape\'s read timed out; reported through onError' },
  { file: 'src/xml/builder-text.ts', error: 'Error', why: 'assertion at load: xmlbuilder2 escapes differently from what this code was written for' },
  { file: 'src/ingest/payload/sop-csv.ts', error: 'Error', why: 'assertion: LineCounter called with offsets going back (a bug)' },
  { file: 'src/portals/xml-source.ts', error: 'Error', why: 'assertion: an adapter\'s XML path is malformed (a bug in the adapter, not in a payload)' },
  { file: 'src/domain/stockholm-date.ts', error: 'RangeError', why: 'precondition: callers validate dates first (isIsoDate)' },
  { file: 'src/domain/money.ts', error: 'RangeError', why: 'precondition: amounts are validated öre' },
  { file: 'src/finance/invoice-row.ts', error: 'RangeError', why: 'assertion: a total beyond 2^53 öre' },
  { file: 'src/finance/daily-report.ts', error: 'RangeError', why: 'assertion: a total beyond 2^53 öre' },
  { file: 'src/domain/person-hash.ts', error: 'RangeError', why: 'precondition: the personnummer is normalised first' },
  { file: 'src/simulator/numbering.ts', error: 'RangeError', why: 'precondition of the simulator\'s OCR numbering' },
  { file: 'src/simulator/vat.ts', error: 'RangeError', why: 'precondition of the simulator\'s VAT arithmetic' },
];
