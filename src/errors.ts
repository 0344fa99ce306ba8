/**
 * partnerd's error vocabulary, in one catalogue (after Fastify's lib/errors.js): every error a
 * module throws on purpose is a PartnerdError with a stable code that logs and tests can match.
 * Messages never carry personal data or API keys: callers pass ids and field paths, not values.
 */

export const ERROR_CODES = {
  PD_CONFIG_INVALID: 'configuration is invalid',
  PD_CONFIG_UNREADABLE: 'configuration file cannot be read',
  PD_ORDER_INVALID: 'order failed validation',
  PD_XSD_INVALID: 'document does not satisfy the createpartnerorder XSD',
  PD_XML_UNSAFE: 'XML with a DOCTYPE or entity declaration is refused',
  PD_XML_MALFORMED: 'XML is not well-formed',
  PD_BRP_RESPONSE_UNPARSEABLE: 'BRP response cannot be parsed',
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
