import fc from 'fast-check';
import { create } from 'xmlbuilder2';
import { builderAttribute, builderText } from '../../src/xml/builder-text.js';
import { PORTALS, type Portal } from '../../src/domain/canonical-order.js';
import { stringifySopCsv } from '../../src/ingest/payload/sop-csv.js';
import { ACTIWAY_NAMESPACE } from '../../src/portals/actiway.js';
import { SOP_HEADER } from '../../src/portals/sop.js';
import { anyPersonalValue, personValues, type PersonValues } from './personal-values.js';

/**
 * The hostile-input corpus: payloads for all five portals, as the portal would send or serve
 * them (bytes), filled with known personal values (personal-values.ts) and malformed in many
 * ways. A case is plain data (printed as is when a property fails); `buildPayload` turns it into
 * bytes with the order ids the property hands it, so every run of a case, shrinking included,
 * uses ids no earlier run used.
 *
 * The rule the corpus keeps: personal values go into the fields that hold personal data and into
 * fields that expect something else (a price, a date, an organisation number), never into the
 * identifiers partnerd names on purpose (order id, venue reference, article code: see router.ts),
 * and never as a price that is plain digits: "8403174736" is a valid amount of kronor, and an
 * order's amount is money, which logs carry.
 *
 * Malformations:
 *  - fields: deleted, null, a number or an object instead of text, blank, another person's value
 *    where a price/date/number belongs, a control character inside a name, a character XML cannot
 *    carry (U+0000, a lone surrogate, U+FFFE, U+000B) or one JS and XSD read differently (U+0085,
 *    U+2028), a wrong check digit, an over-long value;
 *  - lines: a quantity above 1 (Epassi, Actiway: the adapter expands it), start days at the edges
 *    of BRP's xs:date (year 0000, 0001, 9999);
 *  - text: a byte-order mark, cut off anywhere, a stray byte that is not UTF-8 (0xFF, a lone
 *    continuation byte, half a sequence, an encoded surrogate) or a stray `{ } " < > & ; , ]`,
 *    line ends rewritten to CR only or LF;
 *  - pages: not the documented shape;
 *  - S&P: header missing a column, renamed, repeated, absent (data on line 1), reordered, with
 *    extra columns; rows with fields added or dropped; blank lines; every field quoted.
 */

export type FieldKey =
  | 'ordernr' | 'instant' | 'orgNumber' | 'orgName' | 'firstName' | 'lastName' | 'personnummer'
  | 'email' | 'phone' | 'street' | 'city' | 'venue' | 'lines' | 'article' | 'startDay' | 'price';

export type FieldAction =
  | { kind: 'delete' } | { kind: 'null' } | { kind: 'number' } | { kind: 'object' } | { kind: 'blank' }
  | { kind: 'personal'; value: string } | { kind: 'control' } | { kind: 'char'; char: string } | { kind: 'typo' } | { kind: 'long' };

export interface FieldMutation {
  order: number;
  field: FieldKey;
  action: FieldAction;
}

export type TextMutation =
  | { kind: 'none' }
  | { kind: 'bom' }
  | { kind: 'truncate'; at: number }
  | { kind: 'insertBytes'; at: number; bytes: readonly number[] }
  | { kind: 'insertText'; at: number; text: string }
  | { kind: 'lineEnds'; eol: '\r' | '\n' | '\r\n' };

export interface LineSpec {
  article: string;
  startDay: string;
  priceOre: number;
  /** Epassi's `quantity`, Actiway's `@quantity`; the other portals have one item per line. */
  quantity: number;
}

export interface OrderSpec {
  person: PersonValues;
  venue: string;
  lines: LineSpec[];
}

export interface SopShape {
  header: 'ok' | 'missing' | 'renamed' | 'duplicate' | 'absent' | 'reordered' | 'extra';
  /** Which SOP_HEADER column a header mutation touches. */
  column: number;
  eol: '\r\n' | '\n' | '\r';
  /** Field-count changes: in data row `row` (modulo the rows), add or drop a field at `at` (≥ 1: Ordernummer stays first; 18 is the end). */
  fieldCounts: Array<{ row: number; op: 'add' | 'drop'; at: number }>;
  blankLines: boolean;
  quoteAll: boolean;
}

export type PageShape = 'ok' | 'listNotArray' | 'missingField' | 'wrongType' | 'bareArray' | 'bareOrder';

export interface HostileCase {
  portal: Portal;
  orders: OrderSpec[];
  fields: FieldMutation[];
  text: TextMutation;
  /** wellnet, epassi */
  page: PageShape;
  /** sop */
  sop: SopShape;
}

const FIELD_KEYS: readonly FieldKey[] = [
  'ordernr', 'instant', 'orgNumber', 'orgName', 'firstName', 'lastName', 'personnummer', 'email', 'phone', 'street', 'city', 'venue', 'lines', 'article', 'startDay', 'price',
];
/** Identifiers partnerd names on purpose: never given a personal value. */
const IDENTIFIERS: ReadonlySet<FieldKey> = new Set(['ordernr', 'venue', 'article']);

const lineSpec: fc.Arbitrary<LineSpec> = fc.record({
  article: fc.constantFrom('GYM-12M', 'TOWEL', 'CLIP-10', 'CLIP-10', 'NO-SUCH-ART'),
  startDay: fc.oneof(
    { weight: 12, arbitrary: fc.integer({ min: 0, max: 400 }).map((d) => new Date(Date.UTC(2027, 0, 1 + d)).toISOString().slice(0, 10)) },
    { weight: 1, arbitrary: fc.constantFrom('0000-01-01', '0001-01-01', '9999-12-31', '2028-02-29') },
  ),
  priceOre: fc.oneof(fc.integer({ min: 0, max: 900_000 }), fc.constant(250_000)),
  quantity: fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 4 }) }),
});

const orderSpec: fc.Arbitrary<OrderSpec> = fc.record({
  person: personValues,
  venue: fc.constantFrom('odenplan', 'odenplan', 'odenplan', 'kiruna'),
  lines: fc.array(lineSpec, { minLength: 1, maxLength: 3 }),
});

const fieldAction: fc.Arbitrary<FieldAction> = fc.oneof(
  fc.constant({ kind: 'delete' as const }),
  fc.constant({ kind: 'null' as const }),
  fc.constant({ kind: 'number' as const }),
  fc.constant({ kind: 'object' as const }),
  fc.constant({ kind: 'blank' as const }),
  anyPersonalValue.map((value) => ({ kind: 'personal' as const, value })),
  fc.constant({ kind: 'control' as const }),
  fc.constantFrom('\u0000', '\ud800', '\udc00', '\ufffe', '\u000b', '\u0085', '\u2028').map((char) => ({ kind: 'char' as const, char })),
  fc.constant({ kind: 'typo' as const }),
  fc.constant({ kind: 'long' as const }),
);

const fieldMutation: fc.Arbitrary<FieldMutation> = fc
  .record({ order: fc.nat({ max: 2 }), field: fc.constantFrom(...FIELD_KEYS), action: fieldAction })
  .filter((m) => !(m.action.kind === 'personal' && (IDENTIFIERS.has(m.field) || (m.field === 'price' && /^\d+$/.test(m.action.value)))))
  // A number is a valid order id in XML and CSV text, and the same one in every case: a duplicate.
  .filter((m) => !(m.field === 'ordernr' && m.action.kind === 'number'));

const ratio = fc.double({ min: 0, max: 1, noNaN: true });

const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'bom' as const }) },
  { weight: 1, arbitrary: ratio.map((at) => ({ kind: 'truncate' as const, at })) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('insertBytes' as const),
      at: ratio,
      bytes: fc.constantFrom([0xff], [0xfe], [0x80], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf8, 0x88, 0x80, 0x80, 0x80]),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insertText' as const), at: ratio, text: fc.constantFrom('{', '}', '"', '<', '>', '&', ';', ',', ']', '\u0000', '\r') }) },
  { weight: 1, arbitrary: fc.constantFrom('\r', '\n', '\r\n').map((eol) => ({ kind: 'lineEnds' as const, eol: eol as '\r' | '\n' | '\r\n' })) },
);

const sopShape: fc.Arbitrary<SopShape> = fc.record({
  header: fc.oneof(
    { weight: 4, arbitrary: fc.constant('ok' as const) },
    // Data where the header belongs: the row every cell of which is a personal value.
    { weight: 2, arbitrary: fc.constant('absent' as const) },
    { weight: 2, arbitrary: fc.constantFrom('missing', 'renamed', 'duplicate', 'reordered', 'extra') as fc.Arbitrary<SopShape['header']> },
  ),
  column: fc.nat({ max: SOP_HEADER.length - 1 }),
  eol: fc.constantFrom('\r\n', '\n', '\r') as fc.Arbitrary<SopShape['eol']>,
  fieldCounts: fc.oneof(
    fc.constant<SopShape['fieldCounts']>([]),
    fc.array(
      fc.record({
        row: fc.nat({ max: 8 }),
        op: fc.constantFrom('add', 'drop') as fc.Arbitrary<'add' | 'drop'>,
        // Often at the end: a trailing `;` too many or the last field missing is the common real case,
        // and the one where every other cell still reads right.
        at: fc.oneof(fc.integer({ min: 1, max: SOP_HEADER.length }), fc.constantFrom(SOP_HEADER.length - 1, SOP_HEADER.length)),
      }),
      { minLength: 1, maxLength: 2 },
    ),
  ),
  blankLines: fc.boolean(),
  quoteAll: fc.boolean(),
});

/** A hostile payload for `portal`, or for any of the five. */
export function hostileCase(portal?: Portal): fc.Arbitrary<HostileCase> {
  return fc.record({
    portal: portal === undefined ? fc.constantFrom(...PORTALS) : fc.constant(portal),
    orders: fc.array(orderSpec, { minLength: 1, maxLength: 3 }),
    fields: fc.array(fieldMutation, { maxLength: 3 }),
    text: textMutation,
    page: fc.oneof({ weight: 6, arbitrary: fc.constant('ok' as const) }, { weight: 1, arbitrary: fc.constantFrom('listNotArray', 'missingField', 'wrongType', 'bareArray', 'bareOrder') as fc.Arbitrary<PageShape> }),
    sop: sopShape,
  });
}

/** How many order ids `buildPayload` needs for this case. */
export function orderCount(c: HostileCase): number {
  return c.portal === 'benify' || c.portal === 'actiway' ? 1 : c.orders.length;
}

/** The case as bytes. `ids[k]` is the k-th order's id (fresh per run). */
export function buildPayload(c: HostileCase, ids: readonly string[]): Uint8Array {
  const orders = c.orders.slice(0, orderCount(c));
  let text: string;
  switch (c.portal) {
    case 'benify':
      text = JSON.stringify(mutateJson(benifyOrder(orders[0]!, ids[0]!), BENIFY_PATHS, c.fields, 0), null, 2);
      break;
    case 'wellnet':
      text = JSON.stringify(page(c.page, 'orders', orders.map((o, k) => mutateJson(wellnetOrder(o, ids[k]!), WELLNET_PATHS, c.fields, k)), { nextCursor: 'fz-cursor', hasMore: false }));
      break;
    case 'epassi':
      text = JSON.stringify(page(c.page, 'items', orders.map((o, k) => mutateJson(epassiPurchase(o, ids[k]!), EPASSI_PATHS, c.fields, k)), { page: 1, pageSize: 50, totalPages: 1 }));
      break;
    case 'actiway':
      text = actiwayXml(orders[0]!, ids[0]!, c.fields.filter((m) => m.order === 0));
      break;
    case 'sop':
      text = sopCsv(orders, ids, c.fields, c.sop);
      break;
  }
  return applyText(text, c.text);
}

// ---- JSON portals

type Json = Record<string, unknown>;

function benifyOrder(o: OrderSpec, id: string): Json {
  return {
    orderId: id,
    placedAt: '2026-11-20T10:31:00+01:00',
    employer: { orgNumber: '556123-4567', name: 'Prov Org AB' },
    employee: {
      firstName: o.person.firstName, lastName: o.person.lastName, personalIdentityNumber: o.person.personnummer,
      email: o.person.email, mobilePhone: o.person.phone, homePhone: null,
      address: { street: o.person.street, postalCode: '123 45', city: o.person.city, countryCode: 'SE' },
    },
    supplier: { venueId: o.venue },
    lines: o.lines.map((l) => ({ articleId: l.article, startDate: l.startDay, priceInclVat: { amount: sek(l.priceOre), currency: 'SEK' } })),
  };
}

function wellnetOrder(o: OrderSpec, id: string): Json {
  return {
    id, sequence: 1, createdAt: '2026-11-20T09:31:00Z',
    company: { orgNo: '5561234567', name: 'Prov Org AB' },
    person: {
      givenName: o.person.firstName, familyName: o.person.lastName, ssn: o.person.personnummer, email: o.person.email,
      phone: { mobile: o.person.phone, home: null, work: null }, street: o.person.street, zip: '12345', city: o.person.city, country: 'SE',
    },
    facilityCode: o.venue,
    rows: o.lines.map((l) => ({ productCode: l.article, validFrom: l.startDay, priceOre: l.priceOre, renew: false })),
    note: null,
  };
}

function epassiPurchase(o: OrderSpec, id: string): Json {
  return {
    purchaseId: id, paidAt: '2026-11-19T23:30:00Z', status: 'PAID',
    employer: { businessId: '5561234567', name: 'Prov Org AB' },
    beneficiary: {
      firstName: o.person.firstName, lastName: o.person.lastName, nationalId: o.person.personnummer, email: o.person.email,
      phoneNumber: o.person.phone, address: { streetAddress: o.person.street, postalCode: '12345', city: o.person.city, country: 'SE' },
    },
    merchant: { siteId: o.venue },
    products: o.lines.map((l) => ({ sku: l.article, startDate: l.startDay, unitPrice: sek(l.priceOre), quantity: l.quantity })),
  };
}

const BENIFY_PATHS: Record<FieldKey, string> = {
  ordernr: 'orderId', instant: 'placedAt', orgNumber: 'employer.orgNumber', orgName: 'employer.name', firstName: 'employee.firstName',
  lastName: 'employee.lastName', personnummer: 'employee.personalIdentityNumber', email: 'employee.email', phone: 'employee.mobilePhone',
  street: 'employee.address.street', city: 'employee.address.city', venue: 'supplier.venueId', lines: 'lines', article: 'lines.0.articleId',
  startDay: 'lines.0.startDate', price: 'lines.0.priceInclVat.amount',
};
const WELLNET_PATHS: Record<FieldKey, string> = {
  ordernr: 'id', instant: 'createdAt', orgNumber: 'company.orgNo', orgName: 'company.name', firstName: 'person.givenName',
  lastName: 'person.familyName', personnummer: 'person.ssn', email: 'person.email', phone: 'person.phone.mobile', street: 'person.street',
  city: 'person.city', venue: 'facilityCode', lines: 'rows', article: 'rows.0.productCode', startDay: 'rows.0.validFrom', price: 'rows.0.priceOre',
};
const EPASSI_PATHS: Record<FieldKey, string> = {
  ordernr: 'purchaseId', instant: 'paidAt', orgNumber: 'employer.businessId', orgName: 'employer.name', firstName: 'beneficiary.firstName',
  lastName: 'beneficiary.lastName', personnummer: 'beneficiary.nationalId', email: 'beneficiary.email', phone: 'beneficiary.phoneNumber',
  street: 'beneficiary.address.streetAddress', city: 'beneficiary.address.city', venue: 'merchant.siteId', lines: 'products',
  article: 'products.0.sku', startDay: 'products.0.startDate', price: 'products.0.unitPrice',
};

function mutateJson(order: Json, paths: Record<FieldKey, string>, mutations: readonly FieldMutation[], k: number): Json {
  for (const m of mutations) {
    if (m.order !== k) continue;
    const steps = paths[m.field].split('.');
    const last = steps.pop()!;
    let parent: unknown = order;
    for (const s of steps) parent = parent && typeof parent === 'object' ? (parent as Json)[s] : undefined;
    if (!parent || typeof parent !== 'object') continue;
    const target = parent as Json;
    const current = target[last];
    const value = mutatedValue(m.action, current);
    if (value === DELETE) delete target[last];
    else target[last] = value;
  }
  return order;
}

const DELETE = Symbol('delete');

function mutatedValue(action: FieldAction, current: unknown): unknown {
  const text = typeof current === 'string' ? current : JSON.stringify(current ?? '');
  switch (action.kind) {
    case 'delete':
      return DELETE;
    case 'null':
      return null;
    case 'number':
      return 19840317;
    case 'object':
      return { value: current ?? null };
    case 'blank':
      return ' \t ';
    case 'personal':
      return action.value;
    case 'control':
      return `${text.slice(0, 3)}\u0001${text.slice(3)}`;
    case 'char':
      return `${text.slice(0, 2)}${action.char}${text.slice(2)}`;
    case 'typo':
      return typeof current === 'string' ? current.replace(/\d(?=\D*$)/, (d) => String((Number(d) + 1) % 10)) : current;
    case 'long':
      return `${text} ${'x'.repeat(300)}`;
  }
}

function page(shape: PageShape, list: string, orders: Json[], rest: Json): unknown {
  switch (shape) {
    case 'ok':
      return { [list]: orders, ...rest };
    case 'listNotArray':
      return { [list]: orders[0], ...rest };
    case 'missingField':
      return { [list]: orders };
    case 'wrongType':
      return { [list]: orders, ...Object.fromEntries(Object.keys(rest).map((k) => [k, 'yes'])) };
    case 'bareArray':
      return orders;
    case 'bareOrder':
      return orders[0];
  }
}

// ---- Actiway XML (well-formed by construction; text mutations break it)

function actiwayXml(o: OrderSpec, id: string, mutations: readonly FieldMutation[]): string {
  const action = (field: FieldKey): FieldAction | undefined => mutations.find((m) => m.field === field)?.action;
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const root = doc.ele(ACTIWAY_NAMESPACE, 'ActiwayOrder', attrs({ id: value(action('ordernr'), id), created: value(action('instant'), '2026-11-20T10:31:00+01:00') }));
  textEl(root.ele(ACTIWAY_NAMESPACE, 'Company', attrs({ orgNo: value(action('orgNumber'), '5561234567') })), action('orgName'), 'Prov Org AB');
  const customer = root.ele(ACTIWAY_NAMESPACE, 'Customer');
  child(customer, 'FirstName', action('firstName'), o.person.firstName);
  child(customer, 'LastName', action('lastName'), o.person.lastName);
  child(customer, 'PersonalNumber', action('personnummer'), o.person.personnummer);
  child(customer, 'Email', action('email'), o.person.email);
  const phone = value(action('phone'), o.person.phone);
  if (phone !== undefined) customer.ele(ACTIWAY_NAMESPACE, 'Phone', { type: 'mobile' }).txt(builderText(phone));
  const address = customer.ele(ACTIWAY_NAMESPACE, 'Address');
  child(address, 'Street', action('street'), o.person.street);
  child(address, 'Zip', undefined, '12345');
  child(address, 'City', action('city'), o.person.city);
  root.ele(ACTIWAY_NAMESPACE, 'Venue', attrs({ ref: value(action('venue'), o.venue) }));
  if (action('lines')?.kind !== 'delete') {
    const items = root.ele(ACTIWAY_NAMESPACE, 'Items');
    o.lines.forEach((l, i) => {
      items.ele(ACTIWAY_NAMESPACE, 'Item', attrs({
        articleNo: i === 0 ? value(action('article'), l.article) : l.article,
        startDate: i === 0 ? value(action('startDay'), l.startDay) : l.startDay,
        priceInclVat: i === 0 ? value(action('price'), sek(l.priceOre)) : sek(l.priceOre),
        quantity: String(l.quantity),
      }));
    });
  }
  return doc.end({ prettyPrint: true });
}

type XmlEl = ReturnType<ReturnType<typeof create>['ele']>;

/** The text a mutated XML field gets (undefined: left out). Types do not exist in XML text: number/null are text too. */
function value(action: FieldAction | undefined, original: string): string | undefined {
  if (action === undefined) return original;
  if (action.kind === 'delete' || action.kind === 'null') return undefined;
  const v = mutatedValue(action, original);
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function child(parent: XmlEl, name: string, action: FieldAction | undefined, original: string): void {
  if (action?.kind === 'delete') return;
  textEl(parent.ele(ACTIWAY_NAMESPACE, name), action, original);
}

function textEl(el: XmlEl, action: FieldAction | undefined, original: string): void {
  if (action?.kind === 'object') {
    el.ele(ACTIWAY_NAMESPACE, 'Value').txt(builderText(original));
    return;
  }
  const text = value(action, original);
  if (text !== undefined) el.txt(builderText(text));
}

function attrs(values: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((e): e is [string, string] => e[1] !== undefined).map(([k, v]) => [k, builderAttribute(v)]));
}

// ---- S&P CSV

const SOP_FIELD: Partial<Record<FieldKey, (typeof SOP_HEADER)[number]>> = {
  ordernr: 'Ordernummer', instant: 'Orderdatum', orgNumber: 'Organisationsnummer', orgName: 'Företagsnamn', firstName: 'Förnamn',
  lastName: 'Efternamn', personnummer: 'Personnummer', email: 'E-post', phone: 'Mobiltelefon', street: 'Utdelningsadress', city: 'Postort',
  venue: 'Anläggning', article: 'Artikelnummer', startDay: 'Startdatum', price: 'Belopp inkl moms',
};

function sopCsv(orders: readonly OrderSpec[], ids: readonly string[], mutations: readonly FieldMutation[], shape: SopShape): string {
  const rows: string[][] = [];
  orders.forEach((o, k) => {
    o.lines.forEach((l, lineNo) => {
      const cells: Record<string, string> = {
        Ordernummer: ids[k]!, Orderdatum: '2026-11-20', Organisationsnummer: '556123-4567', 'Företagsnamn': 'Prov Org AB',
        'Förnamn': o.person.firstName, Efternamn: o.person.lastName, Personnummer: o.person.personnummer, Utdelningsadress: o.person.street,
        Postnummer: '123 45', Postort: o.person.city, Land: 'SE', 'E-post': o.person.email, Mobiltelefon: o.person.phone,
        'Anläggning': o.venue, Artikelnummer: l.article, Startdatum: l.startDay, 'Belopp inkl moms': sekSwedish(l.priceOre), 'Förnya': 'Nej',
      };
      for (const m of mutations) {
        const column = SOP_FIELD[m.field];
        if (m.order !== k || column === undefined || (lineNo > 0 && m.field === 'ordernr')) continue;
        const v = mutatedValue(m.action, cells[column]);
        cells[column] = v === DELETE || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
      }
      rows.push(SOP_HEADER.map((c) => cells[c]!));
    });
  });
  for (const f of shape.fieldCounts) {
    const row = rows[f.row % rows.length]!;
    if (f.op === 'add') row.splice(f.at, 0, 'extra');
    else row.splice(f.at, 1);
  }
  let header: string[] | undefined = [...SOP_HEADER];
  const col = shape.column;
  switch (shape.header) {
    case 'missing':
      header.splice(col, 1);
      for (const r of rows) r.splice(col, 1);
      break;
    case 'renamed':
      header[col] = `${header[col]}x`;
      break;
    case 'duplicate':
      header.push(header[col]!);
      for (const r of rows) r.push('');
      break;
    case 'absent':
      header = undefined;
      break;
    case 'reordered':
      header = [...header].reverse();
      for (const r of rows) r.reverse();
      break;
    case 'extra':
      header.push('Kommentar');
      for (const r of rows) r.push('');
      break;
    case 'ok':
      break;
  }
  const all = header ? [header, ...rows] : rows;
  const lines = all.map((r) => (shape.quoteAll ? r.map((c) => `"${c.replace(/"/g, '""')}"`).join(';') : stringifySopCsv([r]).replace(/\r\n$/, '')));
  return lines.join(shape.blankLines ? `${shape.eol}${shape.eol}` : shape.eol) + shape.eol;
}

// ---- text

function applyText(text: string, m: TextMutation): Uint8Array {
  const bytes = Buffer.from(text, 'utf8');
  const at = (r: number) => Math.min(bytes.length, Math.floor(r * bytes.length));
  switch (m.kind) {
    case 'none':
      return bytes;
    case 'bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
    case 'truncate':
      return bytes.subarray(0, at(m.at));
    case 'insertBytes':
      return Buffer.concat([bytes.subarray(0, at(m.at)), Buffer.from(m.bytes), bytes.subarray(at(m.at))]);
    case 'insertText':
      return Buffer.concat([bytes.subarray(0, at(m.at)), Buffer.from(m.text, 'utf8'), bytes.subarray(at(m.at))]);
    case 'lineEnds':
      return Buffer.from(text.replace(/\r\n|\r|\n/g, m.eol), 'utf8');
  }
}

function sek(ore: number): string {
  return `${Math.floor(ore / 100)}.${String(ore % 100).padStart(2, '0')}`;
}

function sekSwedish(ore: number): string {
  return `${Math.floor(ore / 100)},${String(ore % 100).padStart(2, '0')}`;
}
