import { fileURLToPath } from 'node:url';
import { create } from 'xmlbuilder2';
import { Agent, request, type Dispatcher } from 'undici';
import { startBrpSimulator, type BrpSimulator, type BrpSimulatorOptions, type Catalogue } from '../../src/simulator/index.js';

export const XSD_PATH = fileURLToPath(new URL('../../xsd/createpartnerorder.xsd', import.meta.url));

export const API_KEY = 'test-key-odenplan';
export const OTHER_API_KEY = 'test-key-other';

export const CATALOGUE: Catalogue = {
  businessUnits: [
    { id: 1, name: 'Odenplan' },
    { id: 2, name: 'Göteborg City' },
  ],
  products: [
    { number: '64575F', name: '100 Entre klipp', type: 'Klippkort', vatRate: 6 },
    { number: '1001', name: 'Årskort gym', type: 'subscription', vatRate: 6 },
    { number: '2001', name: 'Handduk', type: 'article', vatRate: 25 },
    { number: '3001', name: 'Proteinbar', type: 'article', vatRate: 12 },
    { number: '1003', name: 'Månadskort Odenplan', type: 'subscription', vatRate: 6, businessUnits: [1] },
  ],
};

/** 2026-03-30 10:05 in Stockholm (CEST, the day after the switch to summer time). */
export const FIXED_NOW = new Date('2026-03-30T08:05:00Z');

export interface OrderItemInput {
  productnumber: string;
  startday?: string;
  priceincvat: string | number;
  renew?: boolean;
}

export interface OrderInput {
  origin?: string;
  ordernr?: string;
  businessunit?: string | number;
  organization?: { number: string; name: string };
  person?: Partial<Record<'firstname' | 'lastname' | 'personnumber' | 'shippingstreet' | 'shippingpostal' | 'shippingcity' | 'shippingcountry' | 'email' | 'homephone' | 'workphone' | 'mobilephone' | 'note', string>>;
  items?: OrderItemInput[];
}

const PERSON_ORDER = [
  'firstname', 'lastname', 'personnumber', 'shippingstreet', 'shippingpostal', 'shippingcity',
  'shippingcountry', 'email', 'homephone', 'workphone', 'mobilephone', 'note',
] as const;

export const DEFAULT_PERSON = {
  firstname: 'Tessan',
  lastname: 'Testsson',
  personnumber: '111111-1116',
  shippingstreet: 'Testgatan 4',
  shippingpostal: '12345',
  shippingcity: 'Teststad',
  shippingcountry: 'SE',
  email: 'tessan@test.com',
  homephone: '123 45',
  workphone: '07984245',
  mobilephone: '0731234567',
  note: 'An optional message here.',
};

/** A full createpartnerorder document (the doc's example, made valid), built with xmlbuilder2. */
export function orderXml(input: OrderInput = {}): string {
  const doc = create({ version: '1.0', encoding: 'UTF-8' }).ele('order');
  doc.ele('origin').txt(input.origin ?? 'benify');
  doc.ele('version').txt('1');
  doc.ele('ordernr').txt(input.ordernr ?? '1234567');
  doc.ele('businessunit').ele('id').txt(String(input.businessunit ?? 1));
  const org = doc.ele('organization');
  org.ele('number').txt(input.organization?.number ?? '123425-2334');
  org.ele('name').txt(input.organization?.name ?? 'Test Org.');
  const person = { ...DEFAULT_PERSON, ...input.person };
  const p = doc.ele('person');
  for (const key of PERSON_ORDER) {
    const v = person[key];
    if (v !== undefined) p.ele(key).txt(v);
  }
  const items = input.items ?? [
    { productnumber: '64575F', priceincvat: 250000 },
    { productnumber: '2001', priceincvat: 1000 },
  ];
  for (const it of items) {
    const e = doc.ele('orderitem');
    e.ele('productnumber').txt(it.productnumber);
    e.ele('startday').txt(it.startday ?? '2026-04-01');
    e.ele('priceincvat').txt(String(it.priceincvat));
    if (it.renew !== undefined) e.ele('renew').txt(String(it.renew));
  }
  return doc.end({ prettyPrint: true });
}

export async function startTestSimulator(overrides: Partial<BrpSimulatorOptions> = {}): Promise<BrpSimulator> {
  return startBrpSimulator({
    port: 0,
    xsdPath: XSD_PATH,
    instances: {
      odenplan: { apiKey: API_KEY, renewAllowed: false, catalogue: CATALOGUE },
      other: { apiKey: OTHER_API_KEY, renewAllowed: true, catalogue: CATALOGUE },
    },
    now: () => FIXED_NOW,
    ...overrides,
  });
}

export interface PostOptions {
  instance?: string;
  portal?: string;
  apiKey?: string | null;
  contentType?: string | null;
  dispatcher?: Dispatcher;
  headersTimeout?: number;
  bodyTimeout?: number;
}

export interface PostResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** POSTs a partner order the way the daemon does. */
export async function postOrder(sim: BrpSimulator, xml: string, o: PostOptions = {}): Promise<PostResult> {
  const portal = o.portal ?? 'benify';
  const key = o.apiKey === undefined ? API_KEY : o.apiKey;
  const query = key === null ? '' : `?apikey=${encodeURIComponent(key)}`;
  const url = `${sim.url}/${o.instance ?? 'odenplan'}/webservice/partnerorders/create${portal}order${query}`;
  const headers: Record<string, string> = {};
  const ct = o.contentType === undefined ? 'application/xml; charset=utf-8' : o.contentType;
  if (ct !== null) headers['content-type'] = ct;
  const res = await request(url, {
    method: 'POST',
    body: xml,
    headers,
    ...(o.dispatcher ? { dispatcher: o.dispatcher } : {}),
    ...(o.headersTimeout !== undefined ? { headersTimeout: o.headersTimeout } : {}),
    ...(o.bodyTimeout !== undefined ? { bodyTimeout: o.bodyTimeout } : {}),
  });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

export function newAgent(): Agent {
  return new Agent({ keepAliveTimeout: 1000, connections: 8 });
}
