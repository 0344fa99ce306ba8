import { createHmac } from 'node:crypto';
import { normalisePersonnummer } from './personnummer.js';

/**
 * The keyed hash an erasure request finds a person's orders by (docs/personal-data.md).
 *
 * HMAC-SHA256 under `retention.erasureKey` of the 12-digit personnummer (`YYYYMMDDNNNN`, as the
 * `personnummer` library validates it; a samordningsnummer keeps its day + 60), so every input
 * form of one number — 10 or 12 digits, `-`, `+` or no separator — gives the same hash. A plain
 * SHA-256 would not do: there are only some hundred million valid personnummer, and anyone with
 * a copy of the database could hash them all in minutes. With the key kept out of the database,
 * the column reveals nothing by itself.
 */

/** Minimum length of the erasure key (config validation): 32 characters, e.g. `openssl rand -hex 32` gives 64. */
export const ERASURE_KEY_MIN_LENGTH = 32;

/** The hash of a personnummer in any accepted form, or undefined when it is not a valid one. */
export type PersonHasher = (personnummer: string, now?: Date) => string | undefined;

export function createPersonHasher(key: string): PersonHasher {
  return (input, now = new Date()) => {
    const long = normalisePersonnummer(input, 'long', now);
    return long.ok ? hmac(key, long.value) : undefined;
  };
}

/** The name under which the key's fingerprint is kept in the ledger (ledger_settings). */
export const ERASURE_KEY_SETTING = 'erasure_key_fingerprint';

/**
 * Identifies the key without revealing it: the ledger stores it with the first hash, and every
 * process compares, so a changed key is refused instead of making every erasure search come back empty.
 */
export function erasureKeyFingerprint(key: string): string {
  return hmac(key, 'partnerd erasure key fingerprint v1');
}

function hmac(key: string, text: string): string {
  return createHmac('sha256', key).update(text, 'utf8').digest('hex');
}

/**
 * Every way a 12-digit personnummer can be written (12 or 10 digits; none, `-` or `+` as the
 * separator): what an erasure looks for in free text, where no hash can help.
 */
export function personnummerSpellings(long: string): string[] {
  if (!/^\d{12}$/.test(long)) throw new RangeError('expected a 12-digit personnummer');
  const [date12, date10, last4] = [long.slice(0, 8), long.slice(2, 8), long.slice(8)];
  return [date12, date10].flatMap((date) => ['', '-', '+'].map((sep) => `${date}${sep}${last4}`));
}

/**
 * A pattern (JavaScript and PostgreSQL ARE alike) that finds any spelling of the number, not as
 * part of a longer run of digits.
 */
export function personnummerPattern(long: string): string {
  const spellings = personnummerSpellings(long).map((s) => s.replace('+', '\\+'));
  return `(?<![0-9])(?:${spellings.join('|')})(?![0-9])`;
}
