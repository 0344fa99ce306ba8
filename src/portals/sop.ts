import { MAX_ITEMS } from '../domain/validate-order.js';
import { OPTIONAL, REQUIRED, isoDateRule, swedishSekRule, textValue, trimText, type TextSource } from './field-rules.js';
import { Issues } from './issues.js';
import { OrderDraft } from './order-draft.js';
import type { AdapterResult, PortalAdapter } from './portal-order.js';

/** The S&P order file's columns, exactly as in sop.md's header row, in order. */
export const SOP_HEADER = [
  'Ordernummer',
  'Orderdatum',
  'Organisationsnummer',
  'Företagsnamn',
  'Förnamn',
  'Efternamn',
  'Personnummer',
  'Utdelningsadress',
  'Postnummer',
  'Postort',
  'Land',
  'E-post',
  'Mobiltelefon',
  'Anläggning',
  'Artikelnummer',
  'Startdatum',
  'Belopp inkl moms',
  'Förnya',
] as const;

export type SopColumn = (typeof SOP_HEADER)[number];

/** One CSV row: `line` is its 1-based line number in the file, `fields` is keyed by header name. */
export interface SopRow {
  line: number;
  fields: Record<string, string>;
}

/** All rows of ONE order (same Ordernummer), in file order. */
export interface SopPayload {
  rows: SopRow[];
}

/** The columns that describe the order rather than the line: every row of an order must agree on them. */
const ORDER_COLUMNS: readonly SopColumn[] = SOP_HEADER.filter(
  (c) => c !== 'Artikelnummer' && c !== 'Startdatum' && c !== 'Belopp inkl moms' && c !== 'Förnya',
);

/** `Förnya`: Ja or Nej, empty means Nej (case-insensitive). */
const RENEW: Record<string, boolean> = { ja: true, nej: false };

/** Cells by `{line}:{column}`, e.g. `3:Personnummer`. */
class SopSource implements TextSource {
  constructor(
    readonly issues: Issues,
    readonly rows: readonly SopRow[],
  ) {}

  text(path: string, required: boolean): string | undefined {
    const sep = path.indexOf(':');
    const line = Number(path.slice(0, sep));
    const row = this.rows.find((r) => r.line === line);
    const fields = row?.fields;
    const column = path.slice(sep + 1);
    return textValue(this.issues, path, fields && Object.hasOwn(fields, column) ? fields[column] : undefined, required);
  }
}

/**
 * S&P (sop.md): the rows of one order, already split into fields by the file-drop reader. One
 * line per row (quantity 1). Paths are `{line}:{column}` (`3:Personnummer`, `4:Belopp inkl moms`);
 * order-level values are read from the first row, and a later row that disagrees with it is an
 * error at that row. `Land` empty means SE.
 */
export function sopToPortalOrder(payload: SopPayload, _now?: Date): AdapterResult {
  const issues = new Issues();
  const rows = checkRows(issues, payload);
  if (rows === undefined) return { ok: false, errors: issues.errors };
  const src = new SopSource(issues, rows);
  const d = new OrderDraft('sop', src);
  const first = rows[0]!.line;
  const at = (column: SopColumn, line = first) => `${line}:${column}`;

  // The field map: a table of where each field sits in this portal's payload. The adapters' maps
  // look alike by design (intentional tables, #12); the logic they share is order-draft.ts and field-rules.ts.
  d.ordernr(at('Ordernummer'));
  isoDateRule(issues, at('Orderdatum'), src.text(at('Orderdatum'), OPTIONAL));
  d.text('organization.number', at('Organisationsnummer'), REQUIRED);
  d.text('organization.name', at('Företagsnamn'), REQUIRED);
  d.text('person.firstName', at('Förnamn'), REQUIRED);
  d.text('person.lastName', at('Efternamn'), REQUIRED);
  d.text('person.personnummer', at('Personnummer'), REQUIRED);
  d.text('person.address.street', at('Utdelningsadress'), OPTIONAL);
  d.text('person.address.postalCode', at('Postnummer'), OPTIONAL);
  d.text('person.address.city', at('Postort'), OPTIONAL);
  d.set('person.address.country', at('Land'), src.text(at('Land'), OPTIONAL) ?? 'SE');
  d.text('person.email', at('E-post'), OPTIONAL);
  d.text('person.phones.mobile', at('Mobiltelefon'), OPTIONAL);
  d.text('venueRef', at('Anläggning'), REQUIRED);

  // Compared as read (trimmed; Land empty = SE): the same personnummer spelt two ways disagrees.
  const orderValue = (line: number, column: SopColumn) => {
    const value = trimmedCell(rows.find((r) => r.line === line)!, column);
    return column === 'Land' && value === '' ? 'SE' : value;
  };
  for (const row of rows.slice(1)) {
    for (const column of ORDER_COLUMNS) {
      if (orderValue(row.line, column) !== orderValue(first, column)) {
        issues.add(at(column, row.line), `differs from line ${first} of the same order; order-level columns must be the same on every row`);
      }
    }
  }

  rows.forEach((row, i) => {
    d.text(`lines[${i}].articleCode`, at('Artikelnummer', row.line), REQUIRED);
    d.set(`lines[${i}].startDay`, at('Startdatum', row.line), isoDateRule(issues, at('Startdatum', row.line), src.text(at('Startdatum', row.line), REQUIRED)));
    const price = at('Belopp inkl moms', row.line);
    d.set(`lines[${i}].priceIncVatOre`, price, swedishSekRule(issues, price, src.text(price, REQUIRED)));
    d.fixed(`lines[${i}].quantity`, 1);
    const renewPath = at('Förnya', row.line);
    const renew = src.text(renewPath, OPTIONAL)?.toLowerCase() ?? 'nej';
    d.set(`lines[${i}].renew`, renewPath, Object.hasOwn(RENEW, renew) ? RENEW[renew] : issues.add(renewPath, 'must be Ja, Nej or empty'));
  });
  return d.finish(at('Ordernummer'), rows.length);
}

function trimmedCell(row: SopRow, column: SopColumn): string {
  const value = Object.hasOwn(row.fields, column) ? row.fields[column] : undefined;
  return typeof value === 'string' ? trimText(value) : '';
}

/** The payload's own shape (the file-drop reader's output), checked so a bug there is a clear error. */
function checkRows(issues: Issues, payload: SopPayload): SopRow[] | undefined {
  const rows: unknown = (payload as { rows?: unknown } | null | undefined)?.rows;
  if (!Array.isArray(rows) || rows.length === 0) return issues.add('', 'an S&P order must have at least one row');
  const bad = rows.some(
    (r: unknown) =>
      typeof r !== 'object' ||
      r === null ||
      !Number.isSafeInteger((r as SopRow).line) ||
      (r as SopRow).line < 1 ||
      typeof (r as SopRow).fields !== 'object' ||
      (r as SopRow).fields === null,
  );
  if (bad) return issues.add('', 'every row must have a positive line number and its fields');
  if (new Set(rows.map((r: SopRow) => r.line)).size !== rows.length) return issues.add('', 'two rows have the same line number');
  if (rows.length > MAX_ITEMS) return issues.add(`${(rows[0] as SopRow).line}:Ordernummer`, `an order may have at most ${MAX_ITEMS} rows`);
  return rows as SopRow[];
}

export const sopAdapter = {
  portal: 'sop',
  toPortalOrder: sopToPortalOrder,
} as const satisfies PortalAdapter<SopPayload>;
