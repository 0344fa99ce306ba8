import {
  PORTALS,
  type CanonicalAddress,
  type CanonicalItem,
  type CanonicalOrder,
  type CanonicalPerson,
  type CanonicalPhones,
  type FieldError,
  type PersonnummerForm,
  type Portal,
} from './canonical-order.js';
import { isValidOre, parseSekToOre } from './money.js';
import { normaliseOrganisationsnummer } from './organisationsnummer.js';
import { normalisePersonnummer } from './personnummer.js';
import { normalisePhone } from './phone.js';
import { isIsoDate } from './stockholm-date.js';
import { findXmlIllegalChar, formatCodePoint } from './xml-text.js';
import { compact, isObject } from './plain-object.js';

/**
 * The gate every order passes before it becomes a job: operator JSON (`partnerd submit`) and
 * adapter output alike. It normalises, and it reports every problem at once with its path, so a
 * bad order is fixed in one round. Messages name the rule broken, never the value (they are logged
 * and shown in the admin UI, and the values are personal data).
 */

/**
 * No real friskvård order has more than a handful of lines; a portal quantity of n becomes n
 * items, so 50 leaves room for a clip card bought ten at a time, while a runaway payload (or a
 * quantity typo of 1000) is stopped before it becomes a 1000-line BRP invoice. Above the cap the
 * items are not examined one by one, so the error list stays short too.
 */
export const MAX_ITEMS = 50;

/** BRP `ordernr` limit (our XSD: 1–40 non-whitespace characters). */
export const MAX_ORDERNR_LENGTH = 40;

export interface ValidateOrderOptions {
  personnummerForm: PersonnummerForm;
  /** The clock for personnummer century and `+` separator; defaults to the current time. */
  now?: Date;
}

export type ValidateOrderResult = { ok: true; order: CanonicalOrder } | { ok: false; errors: FieldError[] };

type Obj = Record<string, unknown>;

/** Absent and `null` are the same thing in JSON from outside. */
function isAbsent(v: unknown): v is undefined | null {
  return v === undefined || v === null;
}

interface TextRule {
  required: boolean;
  /** Tab, CR and LF are XML-legal but break one-line fields (BRP's schema pattern `.*\S.*` among them). */
  singleLine?: boolean;
  /** Accept a non-negative integer JSON number for an id-like field and use its decimal text. */
  integerOk?: boolean;
}

class Checker {
  readonly errors: FieldError[] = [];

  constructor(
    readonly form: PersonnummerForm,
    readonly now: Date,
  ) {}

  fail(path: string, message: string): undefined {
    this.errors.push({ path, message });
    return undefined;
  }

  /** A trimmed string, or undefined (absent optional, or an error recorded at `path`). Blank optionals count as absent. */
  text(path: string, value: unknown, rule: TextRule): string | undefined {
    if (isAbsent(value)) return rule.required ? this.fail(path, 'is required') : undefined;
    if (rule.integerOk && typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
    if (typeof value !== 'string') return this.fail(path, rule.integerOk ? 'must be a string or a non-negative integer' : 'must be a string');
    // Checked before trimming: trim() would quietly remove U+000B and U+000C, which XML cannot carry either.
    const bad = findXmlIllegalChar(value);
    if (bad) {
      return this.fail(path, `contains ${formatCodePoint(bad.codePoint)} at position ${bad.index}, a character XML 1.0 cannot carry`);
    }
    const trimmed = value.trim();
    if (trimmed === '') return rule.required ? this.fail(path, 'must not be blank') : undefined;
    if (rule.singleLine && /[\t\n\r]/.test(trimmed)) return this.fail(path, 'must be a single line (no tab, CR or LF)');
    return trimmed;
  }

  object(path: string, value: unknown, required: boolean): Obj | undefined {
    if (isAbsent(value)) return required ? this.fail(path, 'is required') : undefined;
    if (!isObject(value)) return this.fail(path, 'must be an object');
    return value;
  }
}

function portal(c: Checker, value: unknown): Portal | undefined {
  const text = c.text('portal', value, { required: true, singleLine: true });
  if (text === undefined) return undefined;
  if (!(PORTALS as readonly string[]).includes(text)) return c.fail('portal', `must be one of ${PORTALS.join(', ')}`);
  return text as Portal;
}

function ordernr(c: Checker, value: unknown): string | undefined {
  const text = c.text('ordernr', value, { required: true, integerOk: true });
  if (text === undefined) return undefined;
  // No whitespace at all: it is half of the exactly-once key and is printed on the BRP invoice.
  if (/\s/.test(text)) return c.fail('ordernr', 'must not contain whitespace');
  if ([...text].length > MAX_ORDERNR_LENGTH) return c.fail('ordernr', `must be at most ${MAX_ORDERNR_LENGTH} characters`);
  return text;
}

function businessUnit(c: Checker, value: unknown): string | undefined {
  const path = 'businessUnit';
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value > 0 ? String(value) : c.fail(path, 'must be a positive integer');
  }
  if (!isAbsent(value) && typeof value !== 'string') return c.fail(path, 'must be a positive integer');
  const text = c.text(path, value, { required: true });
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) return c.fail(path, 'must be a positive integer');
  const n = BigInt(text);
  if (n < 1n || n > BigInt(Number.MAX_SAFE_INTEGER)) return c.fail(path, 'must be a positive integer');
  return n.toString(); // drops leading zeros: "007" and 7 are the same business unit
}

function organization(c: Checker, value: unknown): CanonicalOrder['organization'] | undefined {
  const org = c.object('organization', value, true);
  if (!org) return undefined;
  let number: string | undefined;
  const numberText = c.text('organization.number', org.number, { required: true, integerOk: false, singleLine: true });
  if (numberText !== undefined) {
    const result = normaliseOrganisationsnummer(numberText, c.now);
    number = result.ok ? result.value : c.fail('organization.number', result.message);
  }
  const name = c.text('organization.name', org.name, { required: true, singleLine: true });
  return number !== undefined && name !== undefined ? { number, name } : undefined;
}

function address(c: Checker, value: unknown): CanonicalAddress | undefined {
  const a = c.object('person.address', value, false);
  if (!a) return undefined;
  const street = c.text('person.address.street', a.street, { required: false, singleLine: true });
  const postalCode = c.text('person.address.postalCode', a.postalCode, { required: false, singleLine: true });
  const city = c.text('person.address.city', a.city, { required: false, singleLine: true });
  let country = c.text('person.address.country', a.country, { required: false, singleLine: true });
  if (country !== undefined) {
    country = /^[A-Za-z]{2}$/.test(country)
      ? country.toUpperCase()
      : c.fail('person.address.country', 'must be a two-letter country code (ISO 3166-1 alpha-2, e.g. SE)');
  }
  const out = compact({ street, postalCode, city, country });
  return Object.keys(out).length > 0 ? out : undefined;
}

function email(c: Checker, value: unknown): string | undefined {
  const text = c.text('person.email', value, { required: false, singleLine: true });
  if (text === undefined) return undefined;
  // Sanity, not RFC 5322: catches the typos and swapped fields that do happen.
  const parts = text.split('@');
  const sane =
    text.length <= 254 &&
    !/\s/.test(text) &&
    parts.length === 2 &&
    parts[0] !== '' &&
    /^[^.]+(\.[^.]+)+$/.test(parts[1] ?? '');
  return sane ? text : c.fail('person.email', 'is not a valid e-mail address (one @, no spaces, a domain with a dot)');
}

function phones(c: Checker, value: unknown): CanonicalPhones | undefined {
  const p = c.object('person.phones', value, false);
  if (!p) return undefined;
  const out: CanonicalPhones = {};
  for (const kind of ['home', 'work', 'mobile'] as const) {
    const path = `person.phones.${kind}`;
    const text = c.text(path, p[kind], { required: false, singleLine: true });
    if (text === undefined) continue;
    const result = normalisePhone(text);
    if (!result.ok) c.fail(path, result.message);
    else if (result.value !== undefined) out[kind] = result.value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function person(c: Checker, value: unknown): CanonicalPerson | undefined {
  const p = c.object('person', value, true);
  if (!p) return undefined;
  const firstName = c.text('person.firstName', p.firstName, { required: true, singleLine: true });
  const lastName = c.text('person.lastName', p.lastName, { required: true, singleLine: true });
  let personnummer = c.text('person.personnummer', p.personnummer, { required: true, singleLine: true });
  if (personnummer !== undefined) {
    const result = normalisePersonnummer(personnummer, c.form, c.now);
    personnummer = result.ok ? result.value : c.fail('person.personnummer', result.message);
  }
  const out = compact({
    firstName,
    lastName,
    personnummer,
    address: address(c, p.address),
    email: email(c, p.email),
    phones: phones(c, p.phones),
    note: c.text('person.note', p.note, { required: false }), // free text: line breaks allowed
  });
  if (firstName === undefined || lastName === undefined || personnummer === undefined) return undefined;
  return out as CanonicalPerson;
}

function price(c: Checker, path: string, item: Obj): number | undefined {
  const hasOre = !isAbsent(item.priceIncVatOre);
  const hasSek = !isAbsent(item.priceIncVat);
  if (hasOre && hasSek) return c.fail(path, 'must have either priceIncVatOre or priceIncVat, not both');
  if (!hasOre && !hasSek) return c.fail(`${path}.priceIncVatOre`, 'is required (or priceIncVat, a decimal SEK string)');
  if (hasOre) {
    const ore = item.priceIncVatOre;
    return isValidOre(ore) ? ore : c.fail(`${path}.priceIncVatOre`, 'must be a non-negative integer number of öre');
  }
  if (typeof item.priceIncVat === 'number') {
    // A JSON number here is already a float (2500.1 is not exact): insist on text.
    return c.fail(`${path}.priceIncVat`, 'must be a decimal SEK string such as "2500.00", not a number');
  }
  const text = c.text(`${path}.priceIncVat`, item.priceIncVat, { required: true, singleLine: true });
  if (text === undefined) return undefined;
  const result = parseSekToOre(text);
  return result.ok ? result.ore : c.fail(`${path}.priceIncVat`, result.message);
}

function orderItem(c: Checker, path: string, value: unknown): CanonicalItem | undefined {
  // A null in the list is a broken item, not a missing field.
  if (!isObject(value)) return c.fail(path, 'must be an object');
  const item = value;
  const productNumber = c.text(`${path}.productNumber`, item.productNumber, { required: true, singleLine: true, integerOk: true });
  let startDay = c.text(`${path}.startDay`, item.startDay, { required: true, singleLine: true });
  if (startDay !== undefined && !isIsoDate(startDay)) startDay = c.fail(`${path}.startDay`, 'must be a real date written YYYY-MM-DD');
  const priceIncVatOre = price(c, path, item);
  let renew: boolean | undefined;
  if (!isAbsent(item.renew)) {
    renew = typeof item.renew === 'boolean' ? item.renew : c.fail(`${path}.renew`, 'must be true or false');
  }
  if (productNumber === undefined || startDay === undefined || priceIncVatOre === undefined) return undefined;
  return compact({ productNumber, startDay, priceIncVatOre, renew });
}

function items(c: Checker, value: unknown): CanonicalItem[] | undefined {
  if (isAbsent(value)) return c.fail('items', 'is required');
  if (!Array.isArray(value)) return c.fail('items', 'must be an array');
  if (value.length === 0) return c.fail('items', 'must have at least one item');
  if (value.length > MAX_ITEMS) return c.fail('items', `must have at most ${MAX_ITEMS} items`);
  const out = value.map((v, i) => orderItem(c, `items[${i}]`, v));
  return out.every((i) => i !== undefined) ? (out as CanonicalItem[]) : undefined;
}

/**
 * Un-normalised order JSON → a CanonicalOrder, or every problem found, each with its path
 * (`person.personnummer`, `items[1].priceIncVatOre`; the empty path is the order itself).
 * Unknown fields are ignored; the output holds canonical fields only, with absent optionals left out.
 */
export function validateOrder(input: unknown, options: ValidateOrderOptions): ValidateOrderResult {
  const c = new Checker(options.personnummerForm, options.now ?? new Date());
  if (!isObject(input)) return { ok: false, errors: [{ path: '', message: 'order must be a JSON object' }] };

  const order = {
    portal: portal(c, input.portal),
    ordernr: ordernr(c, input.ordernr),
    tenant: c.text('tenant', input.tenant, { required: true, singleLine: true }),
    businessUnit: businessUnit(c, input.businessUnit),
    organization: organization(c, input.organization),
    person: person(c, input.person),
    items: items(c, input.items),
  };
  if (c.errors.length > 0) return { ok: false, errors: c.errors };
  return { ok: true, order: order as CanonicalOrder };
}
