import { parse as parseCsv } from 'csv-parse/sync';
import { XMLParser } from 'fast-xml-parser';
import type { Portal } from '../src/domain/canonical-order.js';

/**
 * A second reading of a portal payload, written apart from partnerd's (no adapter, no money or
 * payload module of src/): the order ids, each order's lines with their price in öre and
 * quantity, and every text value the payload holds. The properties compare partnerd's output
 * with it: what BRP is sent must add up to what the portal charged, and no message may quote a
 * value of the payload. Where it cannot read something it says so (undefined), it never guesses.
 */

export interface OracleLine {
  /** The price in öre, or undefined when this reading cannot make it an amount. */
  ore: bigint | undefined;
  /** How many BRP items the line is (the portal's quantity; 1 where the portal has none). */
  quantity: number | undefined;
}

export interface OracleOrder {
  id: string;
  lines: OracleLine[];
}

const XML = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => name === 'Item' || name === 'orderitem',
});

function text(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes); // drops a leading BOM
  } catch {
    return undefined;
  }
}

function json(bytes: Uint8Array): unknown {
  const t = text(bytes);
  if (t === undefined) return undefined;
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Kronor as written by a portal ("2500.00", "2 500,00 kr") → öre, by integer arithmetic. */
export function oracleSekToOre(written: unknown): bigint | undefined {
  if (typeof written !== 'string') return undefined;
  const t = written.trim().replace(/\s*(kr|sek)$/i, '').replace(/[ \u00a0\u202f]/g, '').replace(',', '.');
  const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(t);
  return m ? BigInt(m[1]!) * 100n + BigInt((m[2] ?? '').padEnd(2, '0')) : undefined;
}

const qty = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined);

/** The orders of a payload by this independent reading (empty when it cannot be read). */
export function oracleOrders(portal: Portal, bytes: Uint8Array): OracleOrder[] {
  switch (portal) {
    case 'benify': {
      const o = obj(json(bytes));
      return [{ id: String(o.orderId), lines: arr(o.lines).map((l) => ({ ore: oracleSekToOre(obj(obj(l).priceInclVat).amount), quantity: 1 })) }];
    }
    case 'wellnet':
      return arr(obj(json(bytes)).orders).map((o) => ({
        id: String(obj(o).id),
        lines: arr(obj(o).rows).map((r) => {
          const ore = obj(r).priceOre;
          return { ore: typeof ore === 'number' && Number.isSafeInteger(ore) ? BigInt(ore) : undefined, quantity: 1 };
        }),
      }));
    case 'epassi':
      return arr(obj(json(bytes)).items).map((o) => ({
        id: String(obj(o).purchaseId),
        lines: arr(obj(o).products).map((p) => ({ ore: oracleSekToOre(obj(p).unitPrice), quantity: qty(obj(p).quantity) })),
      }));
    case 'actiway': {
      const t = text(bytes);
      if (t === undefined) return [];
      let doc: Obj;
      try {
        doc = obj(XML.parse(t));
      } catch {
        return [];
      }
      const root = obj(doc.ActiwayOrder);
      return [{
        id: String(root['@_id']).trim(),
        lines: arr(obj(root.Items).Item).map((i) => {
          const q = str(obj(i)['@_quantity'])?.trim();
          return { ore: oracleSekToOre(obj(i)['@_priceInclVat']), quantity: q === undefined ? 1 : /^\d{1,6}$/.test(q) ? Number(q) : undefined };
        }),
      }];
    }
    case 'sop': {
      const t = text(bytes);
      if (t === undefined) return [];
      let records: string[][];
      try {
        records = parseCsv(t, { delimiter: ';', relax_column_count: true, skip_empty_lines: true, record_delimiter: ['\r\n', '\n', '\r'] }) as string[][];
      } catch {
        return [];
      }
      const header = (records[0] ?? []).map((h) => h.trim());
      const col = (name: string) => header.indexOf(name);
      const byId = new Map<string, OracleOrder>();
      for (const r of records.slice(1)) {
        const id = (r[col('Ordernummer')] ?? '').trim();
        if (id === '') continue;
        const order = byId.get(id) ?? { id, lines: [] };
        byId.set(id, order);
        order.lines.push({ ore: oracleSekToOre(r[col('Belopp inkl moms')]), quantity: 1 });
      }
      return [...byId.values()];
    }
  }
}

/** What the portal charged for the order, in öre, quantities expanded; undefined if a line cannot be read. */
export function chargedOre(order: OracleOrder): { ore: bigint; items: number } | undefined {
  let ore = 0n;
  let items = 0;
  for (const l of order.lines) {
    if (l.ore === undefined || l.quantity === undefined) return undefined;
    ore += l.ore * BigInt(l.quantity);
    items += l.quantity;
  }
  return { ore, items };
}

/** A BRP createpartnerorder document's items: their count and Σ priceincvat. */
export function brpItems(xml: string): { ore: bigint; items: number } {
  const order = obj(obj(XML.parse(xml)).order);
  const items = arr(order.orderitem);
  return { ore: items.reduce<bigint>((sum, i) => sum + BigInt(String(obj(i).priceincvat)), 0n), items: items.length };
}

/**
 * Every text value in the payload (JSON string leaves, XML attribute values and text, CSV cells)
 * and every number of five digits or more, as this reading finds them. Empty when it cannot read
 * the payload.
 */
export function payloadValues(portal: Portal, bytes: Uint8Array): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (typeof v === 'number' && Math.abs(v) >= 10_000) out.push(String(v));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  switch (portal) {
    case 'benify':
    case 'wellnet':
    case 'epassi':
      walk(json(bytes));
      break;
    case 'actiway': {
      const t = text(bytes);
      try {
        if (t !== undefined) walk(XML.parse(t));
      } catch {
        // not XML to this reader either
      }
      break;
    }
    case 'sop': {
      const t = text(bytes);
      try {
        if (t !== undefined) walk(parseCsv(t, { delimiter: ';', relax_column_count: true, skip_empty_lines: true, relax_quotes: true }));
      } catch {
        // not CSV to this reader either
      }
      break;
    }
  }
  return out;
}
