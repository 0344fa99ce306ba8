import { create } from 'xmlbuilder2';
import { builderText } from '../xml/builder-text.js';
import type { Portal } from '../domain/canonical-order.js';
import type { SimPerson } from './person-register.js';

/**
 * BRP's `<confirmation>` answer to an accepted partner order, in exactly the structure of the
 * doc's example (page 002), built with xmlbuilder2 so it is always well-formed — except for the
 * `malformed-2xx` fault, which reproduces the doc's own broken example.
 */

/** The portal names as BRP writes them in the invoice mark ("Avser beställning 1234 hos Benify"). */
export const PORTAL_DISPLAY_NAMES: Record<Portal, string> = {
  benify: 'Benify',
  wellnet: 'Wellnet',
  sop: 'Sop',
  actiway: 'Actiway',
  epassi: 'Epassi',
};

export function invoiceMark(ordernr: string, portal: Portal): string {
  return `Avser beställning ${ordernr} hos ${PORTAL_DISPLAY_NAMES[portal]}`;
}

export interface ConfirmationData {
  orderNumber: number;
  /** `yyyy-MM-dd HH:mm`, Stockholm. */
  created: string;
  person: SimPerson;
  businessUnitName: string;
  organization: { number: string; name: string };
  products: Array<{ number: string; type: string; name: string }>;
  sumExVat: bigint;
  vatSums: Array<{ rate: number; amount: bigint }>;
  sum: bigint;
  /** The order mark: the origin. */
  mark: string;
  invoice: {
    number: number;
    ocr: string;
    invoiceDate: string;
    dueDate: string;
    mark: string;
  };
}

export function confirmationXml(d: ConfirmationData): string {
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('confirmation');
  const order = root.ele('order');
  order.ele('number').txt(builderText(String(d.orderNumber)));
  order.ele('created').txt(builderText(d.created));
  const by = order.ele('orderedby');
  by.ele('personnumber').txt(builderText(d.person.personnumber));
  by.ele('number').txt(builderText(d.person.customerNumber));
  by.ele('firstname').txt(builderText(d.person.firstname));
  by.ele('lastname').txt(builderText(d.person.lastname));
  by.ele('street').txt(builderText(d.person.street));
  by.ele('postal').txt(builderText(d.person.postal));
  by.ele('city').txt(builderText(d.person.city));
  by.ele('country').txt(builderText(d.person.country));
  order.ele('businessunit').ele('name').txt(builderText(d.businessUnitName));
  const org = order.ele('organization');
  org.ele('number').txt(builderText(d.organization.number));
  org.ele('name').txt(builderText(d.organization.name));
  const products = order.ele('products');
  for (const p of d.products) {
    const pe = products.ele('product');
    pe.ele('number').txt(builderText(p.number));
    pe.ele('type').txt(builderText(p.type));
    pe.ele('name').txt(builderText(p.name));
  }
  order.ele('sumexvat').txt(builderText(d.sumExVat.toString()));
  const vatsums = order.ele('vatsums');
  for (const v of d.vatSums) {
    const ve = vatsums.ele('vatsum');
    ve.ele('rate').txt(builderText(String(v.rate)));
    ve.ele('amount').txt(builderText(v.amount.toString()));
  }
  order.ele('sum').txt(builderText(d.sum.toString()));
  order.ele('lefttopay').txt(builderText('0'));
  order.ele('mark').txt(builderText(d.mark));
  const inv = root.ele('invoice');
  inv.ele('number').txt(builderText(String(d.invoice.number)));
  inv.ele('ocrnumber').txt(builderText(d.invoice.ocr));
  inv.ele('totalamount').txt(builderText(d.sum.toString()));
  // The invoice pays the order; the invoice itself is still unpaid when it is created.
  inv.ele('rest').txt(builderText(d.sum.toString()));
  inv.ele('invoicedate').txt(builderText(d.invoice.invoiceDate));
  inv.ele('duedate').txt(builderText(d.invoice.dueDate));
  inv.ele('mark').txt(builderText(d.invoice.mark));
  return root.end({ prettyPrint: false });
}

/**
 * The doc's broken example: `<personnumber>` never closed, `<street>` closed as
 * `</streetaddress>`, `<postal>` as `</postaladdress>`. Not well-formed, but a 200: BRP created the order.
 */
export function malformConfirmation(xml: string): string {
  return xml
    .replace('</personnumber>', '<personnumber>')
    .replace('</street>', '</streetaddress>')
    .replace('</postal>', '</postaladdress>');
}
