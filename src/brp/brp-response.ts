import { isPartnerdError } from '../errors.js';
import { isIsoDate } from '../domain/stockholm-date.js';
import { malformedXml, parseUntrustedXml, type XmlNode } from '../xml/safe-xml.js';
import { asNode, children, element, fail, requiredElement, requiredText, text, XmlReadError } from '../xml/xml-reader.js';

/**
 * Reads the body BRP answers a partner-order POST with: `<confirmation>` (order created) or
 * `<errors>` (refused). Everything else is `unparseable` with a reason.
 *
 * Rules (decided here, the BRP page leaves them open):
 * - The body is read with parseUntrustedXml only (pure JS; DOCTYPE/entity declarations refused).
 * - Strict on what matters for money and for finding the order again: order number, created,
 *   sumexvat, sum, lefttopay, invoice number, OCR number, totalamount, rest, invoicedate and
 *   duedate must be present and well-formed, `<order>` and `<invoice>` must exist, and no
 *   singular element may appear twice. Anything else (orderedby, businessunit, organization,
 *   mark, products, vatsums) is optional, and an empty optional element counts as absent.
 *   Unknown extra elements and attributes are ignored, so BRP may add fields.
 * - Amounts are integer öre written as ASCII digits. Totals (sumexvat, vatsum amount, sum,
 *   invoice totalamount) must be >= 0. Balances (lefttopay, invoice rest) may carry a leading
 *   minus, because a credited or overpaid invoice legitimately goes below zero and refusing that
 *   would turn a created order into an unparseable one. No `+`, no decimals, no thousands
 *   separators; values beyond Number.MAX_SAFE_INTEGER are refused. `-0` reads as 0.
 * - VAT `rate` is a percentage and may be a decimal (`25`, `12`, `6`, `0`, `12.5`), >= 0.
 * - BRP order, invoice and OCR numbers are "Nummer" in the documentation: kept as strings of
 *   ASCII digits (leading zeros preserved). Product numbers are free strings (`64575F`).
 * - `created` must be `yyyy-MM-dd HH:mm` and invoice dates `yyyy-MM-dd`, real calendar values
 *   (Stockholm local time, as sent: nothing is converted).
 * - Reasons name the field (`confirmation.invoice.ocrnumber is missing`) and never contain a
 *   value from the body. For a body that is not well-formed, the parser's message (positions and
 *   tag names) is included.
 * - `<errors>`: one or more `<error>`; `message` (missing → ''), `code` (kept only when it is an
 *   integer), and `debuginfo` (page 002) or `debug` (page 003) as debugInfo (both → joined with
 *   "; "). An `<errors>` without any `<error>` is unparseable. Note that BRP's debug info can
 *   quote request values (personal data): log it masked or not at all.
 */

export interface BrpConfirmation {
  order: {
    /** BRP order number ("Nummer"), kept as a string of digits. */
    number: string;
    /** 'yyyy-MM-dd HH:mm' Stockholm time, as sent. */
    created: string;
    orderedBy: {
      personnummer?: string;
      customerNumber?: string;
      firstName?: string;
      lastName?: string;
      street?: string;
      postal?: string;
      city?: string;
      country?: string;
    };
    businessUnit: { name?: string };
    organization: { number?: string; name?: string };
    products: Array<{ number: string; type?: string; name?: string }>;
    sumExVatOre: number;
    vatSums: Array<{ ratePercent: number; amountOre: number }>;
    sumOre: number;
    leftToPayOre: number;
    mark?: string;
  };
  invoice: {
    number: string;
    ocrNumber: string;
    totalAmountOre: number;
    restOre: number;
    invoiceDate: string;
    dueDate: string;
    mark?: string;
  };
}

export interface BrpError {
  message: string;
  code?: number;
  debugInfo?: string;
}

export type BrpResponseBody =
  | { kind: 'confirmation'; confirmation: BrpConfirmation }
  | { kind: 'errors'; errors: BrpError[] }
  | { kind: 'unparseable'; reason: string };

const HTML_START = /^\s*(<!doctype\s+html\b|<html[\s>])/i;
const DIGITS = /^\d+$/;
const UNSIGNED_INT = /^\d+$/;
const SIGNED_INT = /^-?\d+$/;
const RATE = /^\d+(\.\d+)?$/;
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}):(\d{2})$/;
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,40}$/;

function digits(node: XmlNode, name: string, path: string): string {
  const t = requiredText(node, name, path);
  if (!DIGITS.test(t)) fail(`${path}.${name} is not a number`);
  return t;
}

function ore(node: XmlNode, name: string, path: string, signed: boolean): number {
  const t = requiredText(node, name, path);
  if (!(signed ? SIGNED_INT : UNSIGNED_INT).test(t)) {
    fail(`${path}.${name} is not ${signed ? 'an integer' : 'a non-negative integer'} amount of öre`);
  }
  const n = Number(t);
  if (!Number.isSafeInteger(n)) fail(`${path}.${name} is out of range`);
  return n === 0 ? 0 : n;
}

function date(node: XmlNode, name: string, path: string): string {
  const t = requiredText(node, name, path);
  if (!isIsoDate(t)) fail(`${path}.${name} is not a yyyy-MM-dd date`);
  return t;
}

function timestamp(node: XmlNode, name: string, path: string): string {
  const t = requiredText(node, name, path);
  const m = TIMESTAMP.exec(t);
  if (!m || !isIsoDate(m[1]!) || Number(m[2]) > 23 || Number(m[3]) > 59) {
    fail(`${path}.${name} is not a yyyy-MM-dd HH:mm timestamp`);
  }
  return t;
}

/** Sets `target[key]` only when there is a value, so absent fields are absent keys. */
function put<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

function parseConfirmation(root: XmlNode): BrpConfirmation {
  const P = 'confirmation';
  const o = requiredElement(root, 'order', P);
  const OP = `${P}.order`;

  const orderedBy: BrpConfirmation['order']['orderedBy'] = {};
  const ob = element(o, 'orderedby', OP);
  if (ob) {
    const p = `${OP}.orderedby`;
    put(orderedBy, 'personnummer', text(ob, 'personnumber', p));
    put(orderedBy, 'customerNumber', text(ob, 'number', p));
    put(orderedBy, 'firstName', text(ob, 'firstname', p));
    put(orderedBy, 'lastName', text(ob, 'lastname', p));
    put(orderedBy, 'street', text(ob, 'street', p));
    put(orderedBy, 'postal', text(ob, 'postal', p));
    put(orderedBy, 'city', text(ob, 'city', p));
    put(orderedBy, 'country', text(ob, 'country', p));
  }

  const businessUnit: BrpConfirmation['order']['businessUnit'] = {};
  const bu = element(o, 'businessunit', OP);
  if (bu) put(businessUnit, 'name', text(bu, 'name', `${OP}.businessunit`));

  const organization: BrpConfirmation['order']['organization'] = {};
  const org = element(o, 'organization', OP);
  if (org) {
    put(organization, 'number', text(org, 'number', `${OP}.organization`));
    put(organization, 'name', text(org, 'name', `${OP}.organization`));
  }

  const products: BrpConfirmation['order']['products'] = [];
  const ps = element(o, 'products', OP);
  if (ps) {
    children(ps, 'product').forEach((v, i) => {
      const p = `${OP}.products.product[${i}]`;
      const n = asNode(v, p);
      const product: BrpConfirmation['order']['products'][number] = { number: requiredText(n, 'number', p) };
      put(product, 'type', text(n, 'type', p));
      put(product, 'name', text(n, 'name', p));
      products.push(product);
    });
  }

  const vatSums: BrpConfirmation['order']['vatSums'] = [];
  const vs = element(o, 'vatsums', OP);
  if (vs) {
    children(vs, 'vatsum').forEach((v, i) => {
      const p = `${OP}.vatsums.vatsum[${i}]`;
      const n = asNode(v, p);
      const rate = requiredText(n, 'rate', p);
      if (!RATE.test(rate)) fail(`${p}.rate is not a non-negative percentage`);
      vatSums.push({ ratePercent: Number(rate), amountOre: ore(n, 'amount', p, false) });
    });
  }

  const order: BrpConfirmation['order'] = {
    number: digits(o, 'number', OP),
    created: timestamp(o, 'created', OP),
    orderedBy,
    businessUnit,
    organization,
    products,
    sumExVatOre: ore(o, 'sumexvat', OP, false),
    vatSums,
    sumOre: ore(o, 'sum', OP, false),
    leftToPayOre: ore(o, 'lefttopay', OP, true),
  };
  put(order, 'mark', text(o, 'mark', OP));

  const inv = requiredElement(root, 'invoice', P);
  const IP = `${P}.invoice`;
  const invoice: BrpConfirmation['invoice'] = {
    number: digits(inv, 'number', IP),
    ocrNumber: digits(inv, 'ocrnumber', IP),
    totalAmountOre: ore(inv, 'totalamount', IP, false),
    restOre: ore(inv, 'rest', IP, true),
    invoiceDate: date(inv, 'invoicedate', IP),
    dueDate: date(inv, 'duedate', IP),
  };
  put(invoice, 'mark', text(inv, 'mark', IP));

  return { order, invoice };
}

function parseErrors(root: XmlNode): BrpError[] {
  const list = children(root, 'error');
  if (list.length === 0) fail('errors contains no error element');
  return list.map((v, i) => {
    const p = `errors.error[${i}]`;
    // Tolerated: `<error>text</error>` without sub-elements is the message.
    if (typeof v === 'string') return { message: v };
    const e: BrpError = { message: text(v, 'message', p) ?? '' };
    const code = text(v, 'code', p);
    if (code !== undefined && SIGNED_INT.test(code)) {
      const n = Number(code);
      if (Number.isSafeInteger(n)) e.code = n;
    }
    const debug = [text(v, 'debuginfo', p), text(v, 'debug', p)].filter((x) => x !== undefined);
    if (debug.length > 0) e.debugInfo = debug.join('; ');
    return e;
  });
}

/** Classifies and reads a BRP partner-order response body. Never throws. */
export function parseBrpResponse(body: string): BrpResponseBody {
  try {
    if (typeof body !== 'string') fail('body is not text');
    const src = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
    if (src.trim() === '') fail('body is empty');
    if (HTML_START.test(src)) fail('body is an HTML page, not BRP XML');

    let doc: XmlNode;
    try {
      // Leading whitespace before the XML declaration is not well-formed; tolerate it.
      doc = parseUntrustedXml(src.trimStart());
    } catch (err) {
      if (isPartnerdError(err, 'PD_XML_UNSAFE')) fail('body declares a DOCTYPE or entity, which is refused');
      const bad = malformedXml(err);
      if (bad) fail(`body is not well-formed XML: ${bad.reason}${bad.line === undefined ? '' : ` (line ${bad.line})`}`);
      fail('body cannot be parsed as XML');
    }

    const names = Object.keys(doc).filter((k) => !k.startsWith('?') && k !== '#text');
    if (names.length !== 1) fail('body has no single root element');
    const name = names[0]!;
    const value = doc[name]!;
    if (Array.isArray(value)) fail('body has no single root element');

    if (name === 'confirmation') {
      const root = asNode(value, 'confirmation');
      return { kind: 'confirmation', confirmation: parseConfirmation(root) };
    }
    if (name === 'errors') {
      const root = asNode(value, 'errors');
      return { kind: 'errors', errors: parseErrors(root) };
    }
    fail(PLAIN_NAME.test(name) ? `unexpected root element <${name}>` : 'unexpected root element');
  } catch (err) {
    if (err instanceof XmlReadError) return { kind: 'unparseable', reason: err.message };
    return { kind: 'unparseable', reason: 'body cannot be read' };
  }
}
