import personnummerModule from 'personnummer';
import type { PersonnummerForm } from './canonical-order.js';
import { daysInMonth, stockholmDateOf } from './stockholm-date.js';

/**
 * Personnummer normalisation. Validation (check digit, date, samordningsnummer) is the
 * `personnummer` library's; this module only decides the century and the separator itself,
 * because the library reads the system clock for both and we need `now` to be injectable.
 *
 * The separator rule is Skatteverket's (18 § folkbokföringslagen): `+` replaces `-` from the
 * calendar year in which the person turns 100, not from the birthday. The library follows the
 * same year rule, and reading `YYMMDD+NNNN` must be the exact inverse of writing it.
 */

type PersonnummerClass = typeof personnummerModule.default;
// The package is CommonJS (`module.exports = Personnummer`) but its typings say `export default`,
// so under NodeNext TypeScript sees the namespace where Node hands us the class. Accept both.
const Personnummer: PersonnummerClass =
  (personnummerModule as unknown as { default?: PersonnummerClass }).default ??
  (personnummerModule as unknown as PersonnummerClass);

export type PersonnummerResult = { ok: true; value: string } | { ok: false; message: string };

// Optional century, YYMMDD, optional separator, NNNN. Interim numbers (letters) are not accepted:
// they are not issued to people who buy gym cards, and BRP's format has digits only.
const INPUT = /^(\d{2})?(\d{2})(\d{2})(\d{2})([-+]?)(\d{4})$/;

interface Parsed {
  /** `YYYYMMDDNNNN`, validated by the library. */
  long: string;
  fullYear: number;
  coordination: boolean;
  /** Stockholm calendar year of `now`, for the separator. */
  currentYear: number;
}

function parse(input: string, now: Date): { ok: true; parsed: Parsed } | { ok: false; message: string } {
  if (typeof input !== 'string') return { ok: false, message: 'personnummer must be text' };
  const m = INPUT.exec(input.trim());
  if (!m) {
    return {
      ok: false,
      message: 'personnummer must be YYMMDD-NNNN, YYMMDD+NNNN or YYYYMMDDNNNN (10 or 12 digits, optional - or +)',
    };
  }
  const [, century, yy, mm, dd, sep, last4] = m as unknown as [string, string | undefined, string, string, string, string, string];
  const [todayYear, todayMonth, todayDay] = stockholmDateOf(now).split('-').map(Number) as [number, number, number];

  let fullYear: number;
  if (century === undefined) {
    // `-`: born in one of the last 100 calendar years (incl. this one); `+`: the 100 before that.
    const base = sep === '+' ? todayYear - 100 : todayYear;
    fullYear = base - ((((base - Number(yy)) % 100) + 100) % 100);
  } else {
    fullYear = Number(century + yy);
    if (sep === '+' && fullYear > todayYear - 100) {
      return { ok: false, message: 'personnummer has a + separator but the birth year says the person is under 100' };
    }
  }

  // Samordningsnummer carry the birth day + 60.
  const month = Number(mm);
  const day = Number(dd) > 60 ? Number(dd) - 60 : Number(dd);
  // Skatteverket's registers use the centuries 18, 19 and 20 only.
  if (fullYear < 1800 || month < 1 || month > 12 || day < 1 || day > daysInMonth(fullYear, month)) {
    return { ok: false, message: 'personnummer has an impossible birth date' };
  }
  if (fullYear * 10000 + month * 100 + day > todayYear * 10000 + todayMonth * 100 + todayDay) {
    return { ok: false, message: 'personnummer has a birth date in the future' };
  }
  if (last4.startsWith('000')) return { ok: false, message: 'personnummer has an invalid birth number (000)' };

  const long = `${String(fullYear).padStart(4, '0')}${mm}${dd}${last4}`;
  let pn: InstanceType<PersonnummerClass>;
  try {
    // 12 digits in, so the library's own clock-based century guess never runs.
    pn = Personnummer.parse(long, { allowCoordinationNumber: true, allowInterimNumber: false });
  } catch {
    // Date and birth number were checked above, so what the library objects to is the Luhn digit.
    return { ok: false, message: 'personnummer check digit does not match' };
  }
  return {
    ok: true,
    parsed: { long: pn.format(true), fullYear, coordination: pn.isCoordinationNumber(), currentYear: todayYear },
  };
}

/**
 * Any accepted personnummer/samordningsnummer form → the tenant's form: 'short' `YYMMDD-NNNN`
 * (`YYMMDD+NNNN` from the year the person turns 100) or 'long' `YYYYMMDDNNNN`.
 * 10-digit input gets its century from the separator and `now` (Stockholm calendar year).
 * Error messages never contain the number.
 */
export function normalisePersonnummer(input: string, form: PersonnummerForm, now: Date = new Date()): PersonnummerResult {
  const result = parse(input, now);
  if (!result.ok) return result;
  const { long, fullYear, currentYear } = result.parsed;
  if (form === 'long') return { ok: true, value: long };
  const sep = currentYear - fullYear >= 100 ? '+' : '-';
  return { ok: true, value: `${long.slice(2, 8)}${sep}${long.slice(8)}` };
}

/** True only for a valid samordningsnummer (birth day + 60), in any accepted form. */
export function isCoordinationNumber(input: string, now: Date = new Date()): boolean {
  const result = parse(input, now);
  return result.ok && result.parsed.coordination;
}
