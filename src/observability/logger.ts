import pino, { type Logger, type LoggerOptions } from 'pino';
import { scrubApiKey } from './mask.js';

/**
 * Structured JSON logs for dashboards. Personal data must never reach them in clear: call sites
 * log ids and masked values only, and redaction below is the safety net for the field names that
 * carry personal data or secrets, wherever a careless call site puts them (two levels deep).
 */
const SENSITIVE_FIELDS = [
  'personnummer', 'personnumber', 'personalIdentityNumber', 'ssn', 'nationalId',
  'firstName', 'lastName', 'firstname', 'lastname', 'givenName', 'familyName', 'name',
  'email', 'phone', 'phones', 'mobile', 'home', 'work', 'mobilephone', 'homephone', 'workphone',
  'street', 'address', 'note', 'apiKey', 'apikey', 'authorization', 'Authorization', 'secret',
  'password', 'token', 'person', 'xml', 'body',
];

export const REDACT_PATHS = [
  ...SENSITIVE_FIELDS,
  ...SENSITIVE_FIELDS.map((f) => `*.${f}`),
  ...SENSITIVE_FIELDS.map((f) => `*.*.${f}`),
  'req.headers.authorization',
  'req.headers["x-benify-signature"]',
];

export function createLogger(options: LoggerOptions = {}, destination?: pino.DestinationStream): Logger {
  const base: LoggerOptions = {
    // The daemon's level is the config's log.level (LOG_LEVEL overrides it in load-config.ts).
    level: 'info',
    base: { service: 'partnerd' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
    serializers: {
      err: (err: unknown) => {
        const s = pino.stdSerializers.err(err as Error);
        if (s && typeof s.message === 'string') s.message = scrubApiKey(s.message);
        if (s && typeof s.stack === 'string') s.stack = scrubApiKey(s.stack);
        return s;
      },
    },
    ...options,
  };
  return destination ? pino(base, destination) : pino(base);
}

export type { Logger };
