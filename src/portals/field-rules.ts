import { isValidOre, parseSekToOre } from '../domain/money.js';
import { isIsoDate, stockholmDateOf } from '../domain/stockholm-date.js';
import { findXmlIllegalChar, formatCodePoint } from '../domain/xml-text.js';
import { MAX_ITEMS, MAX_ORDERNR_LENGTH } from '../domain/validate-order.js';
import type { Issues } from './issues.js';

/**
 * The field rules every portal adapter shares: the text rule, the order-id, money, date and
 * quantity rules. Adapters only say where each field lives in their portal's payload (see
 * json-source.ts, xml-source.ts and sop.ts for the three path syntaxes) and build the order with
 * order-draft.ts. Messages name the rule that is broken, never the value: payloads carry
 * personal data.
 */

export const REQUIRED = true;
export const OPTIONAL = false;

/** A payload read by portal path: JSON dot/bracket, Actiway XPath-like, or S&P `{row}:{column}`. */
export interface TextSource {
  readonly issues: Issues;
  /**
   * The trimmed text at `path`. Absent, null and blank optional values are undefined; a required
   * one that is absent or blank, or a value of the wrong type, is recorded in `issues`.
   */
  text(path: string, required: boolean): string | undefined;
}

// Whitespace trimmed at the edges of portal text. Not String.prototype.trim: that also removes
// U+000B and U+000C, which XML 1.0 cannot carry — textValue reports them instead of letting them
// silently disappear here.
const EDGE_SPACE = '[\\t\\n\\r \\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\uFEFF]+';
const EDGES = new RegExp(`^${EDGE_SPACE}|${EDGE_SPACE}$`, 'g');

export function trimText(text: string): string {
  return text.replace(EDGES, '');
}

/**
 * The text rule every source applies to a raw value it found (undefined and null: absent).
 * A character XML 1.0 cannot carry (U+0000, a lone surrogate, U+FFFE…) is refused here, at the
 * door, with the portal's path: such an order can never be sent to BRP, and PostgreSQL cannot
 * even store U+0000 or a lone surrogate, so it must not get as far as the ledger (an unroutable
 * order is stored as the adapter read it, an order id is looked up there before anything else).
 */
export function textValue(issues: Issues, path: string, raw: unknown, required: boolean): string | undefined {
  if (raw === undefined || raw === null) return required ? issues.add(path, 'is required') : undefined;
  if (typeof raw !== 'string') return issues.add(path, 'must be a string');
  const bad = findXmlIllegalChar(raw);
  if (bad) return issues.add(path, `contains ${formatCodePoint(bad.codePoint)} at position ${bad.index}, a character XML 1.0 cannot carry`);
  const text = trimText(raw);
  if (text === '') return required ? issues.add(path, 'must not be blank') : undefined;
  return text;
}

/** The portal's order id, BRP `ordernr`: 1–40 characters, no whitespace. */
export function orderIdRule(issues: Issues, path: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (/\s/.test(text)) return issues.add(path, 'must not contain whitespace');
  if ([...text].length > MAX_ORDERNR_LENGTH) return issues.add(path, `must be 1–${MAX_ORDERNR_LENGTH} characters`);
  return text;
}

/** SEK written as a plain decimal with a point ("2500.00", "0.29"), at most 2 decimals → öre. */
export function decimalSekRule(issues: Issues, path: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^[-\u2212]/.test(text)) return issues.add(path, 'amount must not be negative');
  if (!/^\d+(?:\.\d+)?$/.test(text)) return issues.add(path, 'must be a decimal amount of kronor such as 2500.00');
  return sekResult(issues, path, text);
}

/** SEK in Swedish style ("2 500,00", "10,00 kr"; plain "2500.00" too) → öre. */
export function swedishSekRule(issues: Issues, path: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  return sekResult(issues, path, text);
}

function sekResult(issues: Issues, path: string, text: string): number | undefined {
  const result = parseSekToOre(text);
  return result.ok ? result.ore : issues.add(path, result.message);
}

/** Integer öre as a JSON number. */
export function oreRule(issues: Issues, path: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  return isValidOre(value) ? value : issues.add(path, 'must be a non-negative integer number of öre');
}

/** A real calendar date `YYYY-MM-DD`. */
export function isoDateRule(issues: Issues, path: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  return isIsoDate(text) ? text : issues.add(path, 'must be a real date written YYYY-MM-DD');
}

/** An ISO 8601 date-time with an offset (or Z) → its Stockholm-local date. */
export function instantRule(issues: Issues, path: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    return stockholmDateOf(text);
  } catch {
    return issues.add(path, 'must be an ISO 8601 date-time with an offset, e.g. 2026-11-19T23:30:00Z');
  }
}

/**
 * A line quantity: a positive integer. At most MAX_ITEMS, because routing turns a quantity of n
 * into n BRP items, and that must not be a runaway allocation.
 */
export function quantityRule(issues: Issues, path: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < 1) return issues.add(path, 'must be a positive integer');
  if (value > MAX_ITEMS) return issues.add(path, `must be at most ${MAX_ITEMS}`);
  return value;
}

/** A quantity written as text (an XML attribute): digits only. */
export function quantityTextRule(issues: Issues, path: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) return issues.add(path, 'must be a positive integer');
  return quantityRule(issues, path, text.length > 16 ? Number.MAX_SAFE_INTEGER + 1 : Number(text));
}
