import type { Portal } from '../domain/canonical-order.js';
import type { XmlNode, XmlValue } from '../xml/safe-xml.js';
import { CatalogueIndex, type Catalogue, type CatalogueProduct } from './catalogue.js';
import { confirmationXml, invoiceMark } from './confirmation.js';
import type { SimErrorName } from './error-codes.js';
import { InstanceNumbering, ocrNumber } from './numbering.js';
import type { SimDelivery, SimOrderRecord } from './order-record.js';
import { PersonRegister } from './person-register.js';
import { addDays, stockholmStamp } from '../domain/stockholm-date.js';
import { summariseVat } from './vat.js';

/**
 * One BRP instance (one BRP customer): its key, settings, catalogue, customer register and
 * numbering, and the business rules a partner order must pass after the XSD.
 */

export interface BrpSimulatorInstanceOptions {
  /** The instance's partner API key (`?apikey=`). */
  apiKey: string;
  /** BRP setting "Använd förnya i partnerorder": `renew` may be set on subscription items. Default false. */
  renewAllowed?: boolean;
  catalogue: Catalogue;
}

export const INVOICE_DUE_DAYS = 30;

/** A request that passed the XSD, read into what the business rules need. */
export interface PartnerOrderRequest {
  origin: string;
  ordernr: string;
  businessUnitId: string;
  organization: { number: string; name: string };
  person: {
    firstname: string;
    lastname: string;
    personnumber: string;
    street: string;
    postal: string;
    city: string;
    country: string;
  };
  items: Array<{ productNumber: string; priceIncVat: bigint; renew: boolean }>;
}

export type CheckResult =
  | { ok: true; order: AcceptedOrder }
  | { ok: false; error: SimErrorName; debuginfo: string };

export interface AcceptedOrder {
  portal: Portal;
  request: PartnerOrderRequest;
  businessUnit: { id: number; name: string };
  products: CatalogueProduct[];
}

export interface CommittedOrder {
  record: SimOrderRecord;
  confirmation: string;
}

export const DEFAULT_COUNTRY = '';

/** Reads an `<order>` document that has already passed the XSD (so every required element is there). */
export function readPartnerOrder(doc: XmlNode): PartnerOrderRequest {
  const order = node(doc.order);
  const bu = node(order.businessunit);
  const org = node(order.organization);
  const person = node(order.person);
  const rawItems = order.orderitem;
  const items = (Array.isArray(rawItems) ? rawItems : rawItems === undefined ? [] : [rawItems]).map((v) => {
    const it = node(v);
    const renew = text(it.renew);
    return {
      productNumber: text(it.productnumber),
      priceIncVat: BigInt(text(it.priceincvat) || '0'),
      renew: renew === 'true' || renew === '1',
    };
  });
  return {
    origin: text(order.origin),
    ordernr: text(order.ordernr),
    businessUnitId: text(bu.id),
    organization: { number: text(org.number), name: text(org.name) },
    person: {
      firstname: text(person.firstname),
      lastname: text(person.lastname),
      personnumber: text(person.personnumber),
      street: text(person.shippingstreet),
      postal: text(person.shippingpostal),
      city: text(person.shippingcity),
      country: text(person.shippingcountry) || DEFAULT_COUNTRY,
    },
    items,
  };
}

/** The `ordernr` of a parsed document, if it has one (used to pick a per-ordernr fault script). */
export function ordernrOf(doc: XmlNode): string | undefined {
  const order = doc.order;
  if (order === undefined || typeof order === 'string' || Array.isArray(order)) return undefined;
  const nr = order.ordernr;
  return typeof nr === 'string' ? nr : undefined;
}

function node(v: XmlValue | undefined): XmlNode {
  return v !== undefined && typeof v === 'object' && !Array.isArray(v) ? v : {};
}

function text(v: XmlValue | undefined): string {
  if (typeof v === 'string') return v;
  if (v !== undefined && typeof v === 'object' && !Array.isArray(v) && typeof v['#text'] === 'string') return v['#text'];
  return '';
}

export class SimInstance {
  readonly apiKey: string;
  readonly renewAllowed: boolean;
  private readonly catalogue: CatalogueIndex;
  private readonly persons = new PersonRegister();
  private readonly numbering = new InstanceNumbering();

  constructor(readonly name: string, options: BrpSimulatorInstanceOptions) {
    this.apiKey = options.apiKey;
    this.renewAllowed = options.renewAllowed ?? false;
    this.catalogue = new CatalogueIndex(options.catalogue);
  }

  /** The business rules after the XSD, in BRP's order: origin, business unit, products, renew. */
  check(portal: Portal, req: PartnerOrderRequest): CheckResult {
    if (req.origin !== portal) {
      return { ok: false, error: 'ORIGIN_MISMATCH', debuginfo: `origin '${req.origin}' sent to create${portal}order` };
    }
    const bu = this.catalogue.businessUnit(req.businessUnitId);
    if (!bu) return { ok: false, error: 'UNKNOWN_BUSINESS_UNIT', debuginfo: `No business unit found with id: ${req.businessUnitId}` };
    const products: CatalogueProduct[] = [];
    for (const [i, item] of req.items.entries()) {
      const p = this.catalogue.product(bu.id, item.productNumber);
      if (!p) {
        return {
          ok: false,
          error: 'UNKNOWN_PRODUCT',
          debuginfo: `orderitem[${i + 1}]: no product with number '${item.productNumber}' at business unit ${bu.id}`,
        };
      }
      if (item.renew) {
        if (!this.renewAllowed) {
          return { ok: false, error: 'RENEW_NOT_ALLOWED', debuginfo: `orderitem[${i + 1}]: setting 'Använd förnya i partnerorder' is off` };
        }
        if (p.type.toLowerCase() !== 'subscription') {
          return { ok: false, error: 'RENEW_NOT_SUBSCRIPTION', debuginfo: `orderitem[${i + 1}]: product '${p.number}' is of type '${p.type}'` };
        }
      }
      products.push(p);
    }
    return { ok: true, order: { portal, request: req, businessUnit: bu, products } };
  }

  /** Creates the order: customer, order and invoice numbers, OCR, VAT; returns the record and the confirmation. */
  commit(accepted: AcceptedOrder, at: Date, delivery: SimDelivery, receivedAt: Date = at): CommittedOrder {
    const { request: req, portal, products } = accepted;
    const { person } = this.persons.findOrCreate(req.person);
    const orderNumber = this.numbering.nextOrderNumber();
    const invoiceNumber = this.numbering.nextInvoiceNumber();
    const ocr = ocrNumber(invoiceNumber);
    const stamp = stockholmStamp(at);
    const vat = summariseVat(req.items.map((item, i) => ({ priceIncVat: item.priceIncVat, ratePercent: products[i]!.vatRate })));
    const invoiceDate = stamp.date;
    const dueDate = addDays(stamp.date, INVOICE_DUE_DAYS);
    const confirmation = confirmationXml({
      orderNumber,
      created: stamp.minute,
      person,
      businessUnitName: accepted.businessUnit.name,
      organization: req.organization,
      products: products.map((p) => ({ number: p.number, type: p.type, name: p.name })),
      sumExVat: vat.sumExVat,
      vatSums: vat.vatSums,
      sum: vat.sum,
      mark: req.origin,
      invoice: {
        number: invoiceNumber,
        ocr,
        invoiceDate,
        dueDate,
        mark: invoiceMark(req.ordernr, portal),
      },
    });
    const record: SimOrderRecord = {
      instance: this.name,
      origin: portal,
      ordernr: req.ordernr,
      brpOrderNumber: orderNumber,
      invoiceNumber,
      ocr,
      sum: Number(vat.sum),
      sumExVat: Number(vat.sumExVat),
      vatSums: vat.vatSums.map((v) => ({ rate: v.rate, amount: Number(v.amount) })),
      invoiceDate,
      dueDate,
      businessUnit: String(accepted.businessUnit.id),
      createdAt: at.toISOString(),
      receivedAt: receivedAt.toISOString(),
      delivery,
    };
    return { record, confirmation };
  }

  reset(): void {
    this.persons.clear();
    this.numbering.reset();
  }
}
