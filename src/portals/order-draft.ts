import type { Portal } from '../domain/canonical-order.js';
import { compact } from '../domain/plain-object.js';
import { MAX_ITEMS } from '../domain/validate-order.js';
import { decimalSekRule, instantRule, isoDateRule, orderIdRule, REQUIRED, type TextSource } from './field-rules.js';
import type { Issues } from './issues.js';
import type { AdapterResult, PortalOrder, PortalOrderLine } from './portal-order.js';

type LineField = keyof PortalOrderLine;
type Canonical =
  | 'ordernr'
  | 'venueRef'
  | 'organization.number'
  | 'organization.name'
  | 'person.firstName'
  | 'person.lastName'
  | 'person.personnummer'
  | 'person.email'
  | 'person.note'
  | `person.address.${'street' | 'postalCode' | 'city' | 'country'}`
  | `person.phones.${'home' | 'work' | 'mobile'}`
  | `lines[${number}].${LineField}`;

/**
 * One order being read. Each value is filed under its canonical path together with the portal
 * path it came from, which becomes `PortalOrder.fieldPaths`: a value the adapter does not produce
 * (an absent optional field) has no entry.
 */
export class OrderDraft {
  readonly issues: Issues;
  readonly fieldPaths: Record<string, string> = {};
  readonly #values = new Map<string, string | number | boolean>();

  constructor(
    readonly portal: Portal,
    readonly source: TextSource,
  ) {
    this.issues = source.issues;
  }

  set<T extends string | number | boolean>(canonical: Canonical, portalPath: string, value: T | undefined): T | undefined {
    if (value !== undefined) {
      this.#values.set(canonical, value);
      this.fieldPaths[canonical] = portalPath;
    }
    return value;
  }

  /** A value the portal does not send (a quantity of 1 where lines have none): no `fieldPaths` entry. */
  fixed<T extends string | number | boolean>(canonical: Canonical, value: T): T {
    this.#values.set(canonical, value);
    return value;
  }

  /** Text at `portalPath`, passed through raw (trimmed). */
  text(canonical: Canonical, portalPath: string, required: boolean): string | undefined {
    return this.set(canonical, portalPath, this.source.text(portalPath, required));
  }

  ordernr(portalPath: string): string | undefined {
    return this.set('ordernr', portalPath, orderIdRule(this.issues, portalPath, this.source.text(portalPath, REQUIRED)));
  }

  isoDate(canonical: Canonical, portalPath: string, required: boolean): string | undefined {
    return this.set(canonical, portalPath, isoDateRule(this.issues, portalPath, this.source.text(portalPath, required)));
  }

  decimalSek(canonical: Canonical, portalPath: string): number | undefined {
    return this.set(canonical, portalPath, decimalSekRule(this.issues, portalPath, this.source.text(portalPath, REQUIRED)));
  }

  /** Checks an order timestamp the PortalOrder does not carry; returns its Stockholm date. */
  instant(portalPath: string, required: boolean): string | undefined {
    return instantRule(this.issues, portalPath, this.source.text(portalPath, required));
  }

  /**
   * The PortalOrder, or every problem found. `linesPath` is the portal's path of the line list
   * (for the total-quantity error), `lineCount` how many lines were read (lines[0] … lines[lineCount - 1]).
   * `fieldPaths` gets no `lines` entry: intake's longest-prefix fallback would glue a canonical
   * `[0].…` suffix onto a path in another syntax (`Items[0].renew`, `2:Ordernummer[0].…`).
   */
  finish(linesPath: string, lineCount: number): AdapterResult {
    const str = (key: string) => this.#values.get(key) as string | undefined;
    const lines: PortalOrderLine[] = [];
    let items = 0;
    for (let i = 0; i < lineCount; i++) {
      const at = (field: LineField) => this.#values.get(`lines[${i}].${field}`);
      const line = compact({
        articleCode: at('articleCode') as string,
        startDay: at('startDay') as string,
        priceIncVatOre: at('priceIncVatOre') as number,
        quantity: at('quantity') as number,
        renew: at('renew') as boolean | undefined,
      });
      items += line.quantity ?? 0;
      lines.push(line);
    }
    if (items > MAX_ITEMS) {
      this.issues.add(linesPath, `the quantities add up to ${items} items; an order may have at most ${MAX_ITEMS}`);
    }
    if (this.issues.any) {
      const ordernr = str('ordernr');
      return ordernr === undefined ? { ok: false, errors: this.issues.errors } : { ok: false, errors: this.issues.errors, ordernr };
    }

    const address = compact({
      street: str('person.address.street'),
      postalCode: str('person.address.postalCode'),
      city: str('person.address.city'),
      country: str('person.address.country'),
    });
    const phones = compact({ home: str('person.phones.home'), work: str('person.phones.work'), mobile: str('person.phones.mobile') });
    const order: PortalOrder = {
      portal: this.portal,
      ordernr: str('ordernr')!,
      venueRef: str('venueRef')!,
      organization: { number: str('organization.number')!, name: str('organization.name')! },
      person: compact({
        firstName: str('person.firstName')!,
        lastName: str('person.lastName')!,
        personnummer: str('person.personnummer')!,
        address: Object.keys(address).length > 0 ? address : undefined,
        email: str('person.email'),
        phones: Object.keys(phones).length > 0 ? phones : undefined,
        note: str('person.note'),
      }),
      lines,
      fieldPaths: this.fieldPaths,
    };
    return { ok: true, order };
  }
}
