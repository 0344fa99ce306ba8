/**
 * What one BRP instance sells and where: its business units (anläggningar) and products with
 * their VAT rate. Prices are not part of it: a partner order carries its own `priceincvat`.
 */

export interface CatalogueBusinessUnit {
  /** BRP business unit id, a positive integer. */
  id: number;
  name: string;
}

export interface CatalogueProduct {
  /** BRP product number, e.g. `64575F` or `1001`. */
  number: string;
  name: string;
  /** Product type as BRP shows it in the confirmation, e.g. `subscription`, `valueCard`, `article`, `Klippkort`. */
  type: string;
  /** VAT rate in whole percent: 6 (training), 12 (food), 25 (goods), or 0. */
  vatRate: number;
  /** Business unit ids that sell it; omitted = every business unit of the instance. */
  businessUnits?: number[];
}

export interface Catalogue {
  businessUnits: CatalogueBusinessUnit[];
  products: CatalogueProduct[];
}

/** The catalogue indexed for O(1) look-ups on the request path. */
export class CatalogueIndex {
  private readonly units = new Map<string, CatalogueBusinessUnit>();
  /** `${buId}\u0000${productNumber}` for every product sold at every unit. */
  private readonly sold = new Map<string, CatalogueProduct>();

  constructor(catalogue: Catalogue) {
    for (const bu of catalogue.businessUnits) this.units.set(String(bu.id), bu);
    for (const p of catalogue.products) {
      const at = p.businessUnits ?? catalogue.businessUnits.map((b) => b.id);
      for (const id of at) this.sold.set(`${id}\u0000${p.number}`, p);
    }
  }

  /** `id` as it came in the request (XSD positiveInteger, so leading zeros are possible). */
  businessUnit(id: string): CatalogueBusinessUnit | undefined {
    return this.units.get(canonicalId(id));
  }

  /** The product if it is sold at that business unit. */
  product(businessUnitId: number, productNumber: string): CatalogueProduct | undefined {
    return this.sold.get(`${businessUnitId}\u0000${productNumber}`);
  }
}

function canonicalId(id: string): string {
  const t = id.trim();
  if (!/^\+?\d+$/.test(t)) return t;
  const digits = t.replace(/^\+/, '').replace(/^0+(?=\d)/, '');
  return digits;
}
