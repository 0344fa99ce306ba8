import organisationsnummerModule from 'organisationsnummer';
import { normalisePersonnummer } from './personnummer.js';

/**
 * Organisation numbers → `NNNNNN-NNNN`, BRP's `organization/number` form. Validation is the
 * `organisationsnummer` library's.
 *
 * Sole traders (enskild firma) have no organisation number of their own: their personnummer is
 * it. The library accepts those, and so do we, because a small employer can be an enskild firma.
 * They come out as `YYMMDD-NNNN` with a `-` whatever the age (the org-number form, and the only
 * one BRP's schema allows there) and with `soleTrader: true`: the value is then personal data
 * and must be masked like a personnummer wherever it is shown.
 */

type OrganisationsnummerClass = typeof organisationsnummerModule.default;
// CommonJS package with `export default` typings: see the same note in personnummer.ts.
const Organisationsnummer: OrganisationsnummerClass =
  (organisationsnummerModule as unknown as { default?: OrganisationsnummerClass }).default ??
  (organisationsnummerModule as unknown as OrganisationsnummerClass);

export type OrganisationsnummerResult =
  | { ok: true; value: string; soleTrader: boolean }
  | { ok: false; message: string };

// 10 digits, optional dash, optional `16` prefix (Skatteverket's century digits for legal
// entities); `+`/other centuries only occur for a sole trader's personnummer.
const INPUT = /^(\d{2})?(\d{6})([-+]?)(\d{4})$/;

/** `5560160680`, `556016-0680`, `165560160680`, `16556016-0680` → `556016-0680`. Messages never contain the number. */
export function normaliseOrganisationsnummer(input: string, now: Date = new Date()): OrganisationsnummerResult {
  if (typeof input !== 'string') return { ok: false, message: 'organisation number must be text' };
  const text = input.trim();
  const m = INPUT.exec(text);
  if (!m) return { ok: false, message: 'organisation number must be NNNNNN-NNNN (10 digits, optionally with the 16 prefix)' };

  let org: InstanceType<OrganisationsnummerClass>;
  try {
    org = Organisationsnummer.parse(text);
  } catch {
    const [, century, first6] = m as unknown as [string, string | undefined, string];
    // A personnummer has its month (0x/1x) where an organisation number has a digit ≥ 2; other
    // 12-digit centuries than 16 are personnummer too. Those are judged as a sole trader's number.
    if (century !== '16' && (century !== undefined || Number(first6[2]) < 2)) return soleTrader(text, now);
    if (m[3] === '+') return { ok: false, message: 'organisation number must use - (not +) as separator' };
    if (first6[0] !== '0' && Number(first6[2]) >= 2) {
      return { ok: false, message: 'organisation number check digit does not match' };
    }
    return { ok: false, message: 'organisation number is not a Swedish organisation number' };
  }

  if (!org.isPersonnummer()) return { ok: true, value: org.format(true), soleTrader: false };
  return soleTrader(text, now);
}

// The library guesses a personnummer's century from the system clock; our normaliser uses `now`,
// so it has the last word, and the separator is always `-` in the org-number form.
function soleTrader(text: string, now: Date): OrganisationsnummerResult {
  const pn = normalisePersonnummer(text, 'short', now);
  if (!pn.ok) return { ok: false, message: `organisation number is neither a valid organisation number nor a valid personnummer: ${pn.message}` };
  return { ok: true, value: pn.value.replace('+', '-'), soleTrader: true };
}

/**
 * For a value normalised above: is it a sole trader's personnummer (third digit 0/1, the month)
 * rather than a real organisation number? Such values are personal data and must be masked.
 */
export function isSoleTraderNumber(normalised: string): boolean {
  return /^\d{2}[01]\d{3}-\d{4}$/.test(normalised);
}
