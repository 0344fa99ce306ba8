import type { FieldError, Portal } from '../domain/canonical-order.js';
import { isValidOre, parseSekToOre } from '../domain/money.js';
import { isIsoDate, stockholmDateOf } from '../domain/stockholm-date.js';
import { findXmlIllegalChar, formatCodePoint } from '../domain/xml-text.js';
import { MAX_ITEMS, MAX_ORDERNR_LENGTH } from '../domain/validate-order.js';
import type { AdapterResult, PortalOrder, PortalOrderLine } from './portal-order.js';

/**
 * What every portal adapter shares: error collection, the text rule, the order-id, money, date and
 * quantity rules, and the draft that assembles a PortalOrder together with its `fieldPaths`.
 * Adapters only say where each field lives in their portal's payload (see json-source.ts,
 * xml-source.ts and sop.ts for the three path syntaxes). Messages name the rule that is broken,
 * never the value: payloads carry personal data.
 */

export const REQUIRED = true;
export const OPTIONAL = false;

/** Every problem found, in the order found; the same path + message is kept once. */
export class Issues {
  readonly errors: FieldError[] = [];
  readonly #seen = new Set<string>();

  add(path: string, message: string): undefined {
    const key = `${path}\u0000${message}`;
    if (!this.#seen.has(key)) {
      this.#seen.add(key);
      this.errors.push({ path, message });
    }
    return undefined;
  }

  get any(): boolean {
    return this.errors.length > 0;
  }
}

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

type LineField = keyof PortalOrderLine;
type Canonical =
  | 'ordernr'
  | 'venueRef'
  | 'organization.number'
  | 'organization.name'
  | 'person.firstName'
  | 'person.lastName'
  | 'person.personnummer'
  | 'person.email'
  | 'person.note'
  | `person.address.${'street' | 'postalCode' | 'city' | 'country'}`
  | `person.phones.${'home' | 'work' | 'mobile'}`
  | `lines[${number}].${LineField}`;

/**
 * One order being read. Each value is filed under its canonical path together with the portal
 * path it came from, which becomes `PortalOrder.fieldPaths`: a value the adapter does not produce
 * (an absent optional field) has no entry.
 */
export class OrderDraft {
  readonly issues: Issues;
  readonly fieldPaths: Record<string, string> = {};
  readonly #values = new Map<string, string | number | boolean>();

  constructor(
    readonly portal: Portal,
    readonly source: TextSource,
  ) {
    this.issues = source.issues;
  }

  set<T extends string | number | boolean>(canonical: Canonical, portalPath: string, value: T | undefined): T | undefined {
    if (value !== undefined) {
      this.#values.set(canonical, value);
      this.fieldPaths[canonical] = portalPath;
    }
    return value;
  }

  /** A value the portal does not send (a quantity of 1 where lines have none): no `fieldPaths` entry. */
  fixed<T extends string | number | boolean>(canonical: Canonical, value: T): T {
    this.#values.set(canonical, value);
    return value;
  }

  /** Text at `portalPath`, passed through raw (trimmed). */
  text(canonical: Canonical, portalPath: string, required: boolean): string | undefined {
    return this.set(canonical, portalPath, this.source.text(portalPath, required));
  }

  ordernr(portalPath: string): string | undefined {
    return this.set('ordernr', portalPath, orderIdRule(this.issues, portalPath, this.source.text(portalPath, REQUIRED)));
  }

  isoDate(canonical: Canonical, portalPath: string, required: boolean): string | undefined {
    return this.set(canonical, portalPath, isoDateRule(this.issues, portalPath, this.source.text(portalPath, required)));
  }

  decimalSek(canonical: Canonical, portalPath: string): number | undefined {
    return this.set(canonical, portalPath, decimalSekRule(this.issues, portalPath, this.source.text(portalPath, REQUIRED)));
  }

  /** Checks an order timestamp the PortalOrder does not carry; returns its Stockholm date. */
  instant(portalPath: string, required: boolean): string | undefined {
    return instantRule(this.issues, portalPath, this.source.text(portalPath, required));
  }

  /**
   * The PortalOrder, or every problem found. `linesPath` is the portal's path of the line list
   * (for the total-quantity error), `lineCount` how many lines were read (lines[0] … lines[lineCount - 1]).
   * `fieldPaths` gets no `lines` entry: intake's longest-prefix fallback would glue a canonical
   * `[0].…` suffix onto a path in another syntax (`Items[0].renew`, `2:Ordernummer[0].…`).
   */
  finish(linesPath: string, lineCount: number): AdapterResult {
    const str = (key: string) => this.#values.get(key) as string | undefined;
    const lines: PortalOrderLine[] = [];
    let items = 0;
    for (let i = 0; i < lineCount; i++) {
      const at = (field: LineField) => this.#values.get(`lines[${i}].${field}`);
      const line = compact({
        articleCode: at('articleCode') as string,
        startDay: at('startDay') as string,
        priceIncVatOre: at('priceIncVatOre') as number,
        quantity: at('quantity') as number,
        renew: at('renew') as boolean | undefined,
      });
      items += line.quantity ?? 0;
      lines.push(line);
    }
    if (items > MAX_ITEMS) {
      this.issues.add(linesPath, `the quantities add up to ${items} items; an order may have at most ${MAX_ITEMS}`);
    }
    if (this.issues.any) {
      const ordernr = str('ordernr');
      return ordernr === undefined ? { ok: false, errors: this.issues.errors } : { ok: false, errors: this.issues.errors, ordernr };
    }

    const address = compact({
      street: str('person.address.street'),
      postalCode: str('person.address.postalCode'),
      city: str('person.address.city'),
      country: str('person.address.country'),
    });
    const phones = compact({ home: str('person.phones.home'), work: str('person.phones.work'), mobile: str('person.phones.mobile') });
    const order: PortalOrder = {
      portal: this.portal,
      ordernr: str('ordernr')!,
      venueRef: str('venueRef')!,
      organization: { number: str('organization.number')!, name: str('organization.name')! },
      person: compact({
        firstName: str('person.firstName')!,
        lastName: str('person.lastName')!,
        personnummer: str('person.personnummer')!,
        address: Object.keys(address).length > 0 ? address : undefined,
        email: str('person.email'),
        phones: Object.keys(phones).length > 0 ? phones : undefined,
        note: str('person.note'),
      }),
      lines,
      fieldPaths: this.fieldPaths,
    };
    return { ok: true, order };
  }
}

/** Only the defined values: absent optional fields are left out, not `undefined`. */
function compact<T extends object>(obj: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out as T;
}
