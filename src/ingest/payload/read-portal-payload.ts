import { assertNoDeclarations } from '../../xml/safe-xml.js';
import type { FieldError, Portal } from '../../domain/canonical-order.js';
import { isPartnerdError } from '../../errors.js';
import type { AdapterResult } from '../../portals/portal-order.js';
import { adapterFor } from '../../portals/portal-registry.js';
import type { SopPayload } from '../../portals/sop.js';
import { groupSopOrders, parseSopCsv, sopPayload, type SopOrderRows } from './sop-csv.js';
import { parseJsonText } from './json-text.js';
import { decodeUtf8Strict, describeUtf8Error } from './strict-utf8.js';

/**
 * Bytes as a portal sends or serves them → its orders, each with its adapter's verdict. This is
 * the one reading of a payload: the push routes, the pollers and the S&P file drop call it, and
 * so does `partnerd render <portal>`, so the dry run can never judge a payload differently from
 * intake. Everything before routing happens here: strict UTF-8 (a leading byte-order mark
 * dropped), JSON syntax, DOCTYPE/ENTITY refusal, a page's shape, S&P's CSV and header and each
 * row's number of fields, then the adapter. Messages name the place and what was expected,
 * never a value from the payload.
 *
 *   benify   one order (the POST body)          errors at ""
 *   actiway  one order (the POST body, XML)     errors at "/"
 *   wellnet  a poll page {orders, nextCursor, hasMore}
 *   epassi   a poll page {page, pageSize, totalPages, items}
 *   sop      a CSV file: one order per Ordernummer, rows in the adapter's `{line}:{column}` paths
 */

export interface OrderRead<Payload = unknown> {
  /** What the adapter read: the parsed Benify body, Actiway XML text, one page element, an S&P order's rows. */
  payload: Payload;
  adapted: AdapterResult;
}

/** Why a payload could not be read at all (request logs and poll summaries use it). */
export type UnreadableKind = 'encoding' | 'syntax' | 'unsafe' | 'shape';

export type Unreadable = { ok: false; kind: UnreadableKind; errors: FieldError[] };

export type PayloadRead<Order extends OrderRead = OrderRead, Extra = unknown> = ({ ok: true; orders: Order[] } & Extra) | Unreadable;

export interface WellnetPageInfo {
  /** Opaque; null when the portal gave none (the stored cursor then stays). */
  nextCursor: string | null;
  hasMore: boolean;
}

export interface EpassiPageInfo {
  page?: number;
  pageSize?: number;
  totalPages: number;
}

/** One S&P order: its rows as the file has them, and the payload the adapter read. */
export interface SopOrderRead extends OrderRead<SopPayload> {
  group: SopOrderRows;
}

export function readBenifyBody(bytes: Uint8Array, now: Date): PayloadRead {
  const json = readJson(bytes, '');
  if (!json.ok) return json;
  return { ok: true, orders: [{ payload: json.value, adapted: adapterFor('benify').toPortalOrder(json.value, now) }] };
}

export function readActiwayBody(bytes: Uint8Array, now: Date): PayloadRead {
  const text = decodeUtf8Strict(bytes);
  if (!text.ok) return unreadable('encoding', '/', `the document is not valid UTF-8 (${describeUtf8Error(text.error)})`);
  try {
    // Before anything parses the document: no entity is ever expanded.
    assertNoDeclarations(text.text);
  } catch (err) {
    if (!isPartnerdError(err, 'PD_XML_UNSAFE')) throw err;
    return unreadable('unsafe', '/', 'a DOCTYPE or entity declaration is not accepted');
  }
  return { ok: true, orders: [{ payload: text.text, adapted: adapterFor('actiway').toPortalOrder(text.text, now) }] };
}

export function readWellnetPage(bytes: Uint8Array, now: Date): PayloadRead<OrderRead, WellnetPageInfo> {
  const json = readJson(bytes, '');
  if (!json.ok) return json;
  const body = json.value as Record<string, unknown> | null;
  const orders = body?.orders;
  const nextCursor = body?.nextCursor ?? null;
  const hasMore = body?.hasMore;
  if (!Array.isArray(orders) || (nextCursor !== null && typeof nextCursor !== 'string') || typeof hasMore !== 'boolean') {
    return unreadable('shape', '', 'the page does not have orders[], nextCursor and hasMore');
  }
  const adapter = adapterFor('wellnet');
  return { ok: true, nextCursor, hasMore, orders: orders.map((payload: unknown) => ({ payload, adapted: adapter.toPortalOrder(payload, now) })) };
}

export function readEpassiPage(bytes: Uint8Array, now: Date): PayloadRead<OrderRead, EpassiPageInfo> {
  const json = readJson(bytes, '');
  if (!json.ok) return json;
  const body = json.value as Record<string, unknown> | null;
  const items = body?.items;
  const totalPages = body?.totalPages;
  if (!Array.isArray(items) || typeof totalPages !== 'number' || !Number.isSafeInteger(totalPages) || totalPages < 0) {
    return unreadable('shape', '', 'the page does not have items[] and totalPages');
  }
  const adapter = adapterFor('epassi');
  return {
    ok: true,
    totalPages,
    ...(typeof body?.page === 'number' ? { page: body.page } : {}),
    ...(typeof body?.pageSize === 'number' ? { pageSize: body.pageSize } : {}),
    orders: items.map((payload: unknown) => ({ payload, adapted: adapter.toPortalOrder(payload, now) })),
  };
}

/**
 * An S&P file. A file that is not UTF-8, not CSV or without S&P's header is unreadable as a whole
 * (path: the line). Otherwise each order is judged whole: a row with the wrong number of fields
 * is reported by that problem alone (its cells are shifted, so what the adapter would say about
 * them is noise), at path `{line}`; the adapter's errors of the other rows follow.
 */
export function readSopFile(bytes: Uint8Array, now: Date): PayloadRead<SopOrderRead, { rows: number }> {
  const file = parseSopCsv(bytes);
  if (!file.ok) return unreadable(file.kind, String(file.line), file.problem);
  const adapter = adapterFor('sop');
  const orders = groupSopOrders(file.rows).map((group): SopOrderRead => {
    const payload = sopPayload(group);
    const adapted = adapter.toPortalOrder(payload, now);
    const shifted = group.rows.filter((r) => r.problem !== undefined);
    if (shifted.length === 0) return { group, payload, adapted };
    const shiftedLines = new Set(shifted.map((r) => String(r.line)));
    const errors: FieldError[] = [
      ...shifted.map((r) => ({ path: String(r.line), message: r.problem! })),
      ...(adapted.ok ? [] : adapted.errors.filter((e) => !shiftedLines.has(e.path.split(':', 1)[0]!))),
    ];
    const ordernr = adapted.ok ? adapted.order.ordernr : adapted.ordernr;
    return { group, payload, adapted: ordernr === undefined ? { ok: false, errors } : { ok: false, errors, ordernr } };
  });
  return { ok: true, rows: file.rows.length, orders };
}

/** Any portal's payload (the dry run, where the portal is only known at run time). */
export function readPortalPayload(portal: Portal, bytes: Uint8Array, now: Date): PayloadRead<OrderRead, unknown> {
  switch (portal) {
    case 'benify':
      return readBenifyBody(bytes, now);
    case 'actiway':
      return readActiwayBody(bytes, now);
    case 'wellnet':
      return readWellnetPage(bytes, now);
    case 'epassi':
      return readEpassiPage(bytes, now);
    case 'sop':
      return readSopFile(bytes, now);
  }
}

/** "path: message; path: message" (the messages name no values). */
export function describeErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
}

function readJson(bytes: Uint8Array, root: string): { ok: true; value: unknown } | Unreadable {
  const text = decodeUtf8Strict(bytes);
  if (!text.ok) return unreadable('encoding', root, `the body is not valid UTF-8 (${describeUtf8Error(text.error)})`);
  // Never the parser's message: it quotes the body, which carries personal data.
  const json = parseJsonText(text.text);
  if (!json.ok) return unreadable('syntax', root, `the body is not valid JSON${json.where ? ` (${json.where})` : ''}`);
  return { ok: true, value: json.value };
}

function unreadable(kind: UnreadableKind, path: string, message: string): Unreadable {
  return { ok: false, kind, errors: [{ path, message }] };
}
