import personnummerModule from 'personnummer';

type PersonnummerClass = typeof personnummerModule.default;
// CommonJS package typed as `export default`: under NodeNext the default import is the class at
// run time but the namespace to TypeScript. Accept both.
const Personnummer: PersonnummerClass =
  (personnummerModule as unknown as { default?: PersonnummerClass }).default ??
  (personnummerModule as unknown as PersonnummerClass);

/**
 * One BRP instance's customer register. A partner order finds the customer by personnummer or
 * creates one; customer numbers count from 10001 upward. Like BRP, an existing customer is NOT
 * updated from the order: the confirmation's `orderedby` shows the customer the order was
 * actually created on, which may differ from what the request said (doc page 002).
 */

export interface SimPerson {
  /** BRP customer number (`orderedby/number`). */
  customerNumber: string;
  personnumber: string;
  firstname: string;
  lastname: string;
  street: string;
  postal: string;
  city: string;
  country: string;
}

export type NewPerson = Omit<SimPerson, 'customerNumber'>;

export const FIRST_CUSTOMER_NUMBER = 10001;

export class PersonRegister {
  private readonly byKey = new Map<string, SimPerson>();
  private next = FIRST_CUSTOMER_NUMBER;

  /** Returns the existing customer (and `created: false`) or registers `person` under a new customer number. */
  findOrCreate(person: NewPerson): { person: SimPerson; created: boolean } {
    const key = personKey(person.personnumber);
    const found = this.byKey.get(key);
    if (found) return { person: found, created: false };
    const created: SimPerson = { customerNumber: String(this.next++), ...person };
    this.byKey.set(key, created);
    return { person: created, created: true };
  }

  get size(): number {
    return this.byKey.size;
  }

  clear(): void {
    this.byKey.clear();
    this.next = FIRST_CUSTOMER_NUMBER;
  }
}

/**
 * The same person whatever form the portal sent (`YYMMDD-NNNN`, `YYMMDD+NNNN`, 12 digits): the
 * 12-digit form when the number is a valid personnummer, else the digits as given.
 */
export function personKey(pnr: string): string {
  try {
    return Personnummer.parse(pnr, { allowCoordinationNumber: true, allowInterimNumber: true }).format(true);
  } catch {
    return pnr.replace(/\D/g, '');
  }
}
