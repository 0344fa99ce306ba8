import fc from 'fast-check';

/**
 * Known personal values for the fuzz corpus: made-up people whose every value is distinctive
 * enough that finding it in an output can only mean the output repeated the input. Personnummer
 * are valid (checked by the `personnummer` library when these were chosen) and come in every
 * form a portal may write them; `PERSONAL_VALUES` also holds each number with a wrong check digit
 * (a corpus case may send one) and every form partnerd normalises to.
 */

export const FIRST_NAMES = ['Tessan', 'Sixten', 'Ingegerd', 'Åke-Börje', 'Maj-Britt'] as const;
export const LAST_NAMES = ['Testsson', 'Provström', 'Exempelqvist', 'Östlund-Provare'] as const;
export const EMAILS = ['tessan.testsson@exempel.se', 'sixten@prov.example', 'maj-britt.exempelqvist@test.example'] as const;
/** Raw forms as portals send them; their national forms (what partnerd normalises to) are in PHONE_FORMS. */
export const PHONES = ['+46 70-123 45 67', '070-123 45 67', '0701234567', '08-765 43 21', '+46 8 765 43 21'] as const;
const PHONE_FORMS = ['0701234567', '+46701234567', '087654321', '+4687654321', '70-123 45 67', '765 43 21'];
export const STREETS = ['Provgatan 17', 'Testvägen 3B', 'Exempelstigen 101'] as const;
export const CITIES = ['Provköping', 'Exempelby'] as const;

/** 12-digit personnummer (YYYYMMDDNNNN), all valid; 1912… is over 100 (`+` in the short form). */
const PERSONNUMMER_12 = ['198403174736', '196609096182', '200102282597', '194711228348', '199506303917', '191207055276'] as const;

/** Every way each number can be written: 12 and 10 digits, with and without a separator. */
export function personnummerForms(twelve: string): string[] {
  const ten = twelve.slice(2);
  return [twelve, `${twelve.slice(0, 8)}-${twelve.slice(8)}`, ten, `${ten.slice(0, 6)}-${ten.slice(6)}`, `${ten.slice(0, 6)}+${ten.slice(6)}`];
}

/** The same number with its check digit one off: still somebody's number to a reader. */
function wrongCheckDigit(twelve: string): string {
  return twelve.slice(0, 11) + String((Number(twelve[11]) + 1) % 10);
}

export const PERSONNUMMER: readonly string[] = PERSONNUMMER_12.flatMap(personnummerForms);
const PERSONNUMMER_TYPOS: readonly string[] = PERSONNUMMER_12.map(wrongCheckDigit).flatMap(personnummerForms);

/** Everything that must never appear in an output made from the corpus. */
export const PERSONAL_VALUES: readonly string[] = [
  ...FIRST_NAMES, ...LAST_NAMES, ...EMAILS, ...PHONES, ...PHONE_FORMS, ...STREETS, ...CITIES, ...PERSONNUMMER, ...PERSONNUMMER_TYPOS,
];

export interface PersonValues {
  firstName: string;
  lastName: string;
  personnummer: string;
  /** The same number with a wrong check digit, in the same form. */
  personnummerTypo: string;
  email: string;
  phone: string;
  street: string;
  city: string;
}

export const personValues: fc.Arbitrary<PersonValues> = fc
  .record({
    firstName: fc.constantFrom(...FIRST_NAMES),
    lastName: fc.constantFrom(...LAST_NAMES),
    number: fc.constantFrom(...PERSONNUMMER_12),
    form: fc.nat({ max: 4 }),
    email: fc.constantFrom(...EMAILS),
    phone: fc.constantFrom(...PHONES),
    street: fc.constantFrom(...STREETS),
    city: fc.constantFrom(...CITIES),
  })
  .map(({ number, form, ...rest }) => ({
    ...rest,
    personnummer: personnummerForms(number)[form]!,
    personnummerTypo: personnummerForms(wrongCheckDigit(number))[form]!,
  }));

/** Any one personal value (for a field that expects something else). */
export const anyPersonalValue: fc.Arbitrary<string> = fc.constantFrom(...PERSONAL_VALUES);

/** The personal values found in `text`, if any. */
export function personalValuesIn(text: string): string[] {
  return PERSONAL_VALUES.filter((v) => text.includes(v));
}
