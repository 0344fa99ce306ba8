/**
 * Phone numbers → what BRP's person phones hold: Swedish numbers in national form with the
 * leading 0 (`0731234567`), foreign numbers as `+` and digits (`+4512345678`).
 */

export type PhoneResult = { ok: true; value: string | undefined } | { ok: false; message: string };

// Formatting people and portals put in: spaces (incl. no-break ones), dashes, parentheses.
const FORMATTING = /[ \u00A0\u202F\-()]/g;

/**
 * `+46731234567` / `0046731234567` / `073-123 45 67` → `0731234567`; `+45 12 34 56 78` → `+4512345678`.
 * Empty or blank input is "no phone", `{ ok: true, value: undefined }`: portals send "" for a
 * field the employee left empty, and that is not an error. Messages never contain the number.
 */
export function normalisePhone(input: string): PhoneResult {
  if (typeof input !== 'string') return { ok: false, message: 'phone number must be text' };
  const trimmed = input.trim();
  if (trimmed === '') return { ok: true, value: undefined };
  if (/[^\d+ \u00A0\u202F\-()]/.test(trimmed)) {
    return { ok: false, message: 'phone number may only contain digits, +, spaces, dashes and parentheses' };
  }
  let digits = trimmed.replace(FORMATTING, '');
  if (digits.startsWith('00')) digits = `+${digits.slice(2)}`;
  if (!/^\+?\d+$/.test(digits)) return { ok: false, message: 'phone number may only have + at the start' };

  if (digits.startsWith('+46')) {
    // "+46 (0)8-123 45" is a common way to write it; the trunk 0 goes after the country code only once.
    const national = digits.slice(3).replace(/^0/, '');
    digits = `0${national}`;
  }
  if (digits.startsWith('+')) {
    // E.164: country code (no leading 0) and at most 15 digits in all.
    if (!/^\+[1-9]\d{6,14}$/.test(digits)) return { ok: false, message: 'international phone number has the wrong length' };
    return { ok: true, value: digits };
  }
  if (!digits.startsWith('0')) {
    // "46731234567" or "731234567": is it missing a + or a 0? Guessing would misroute calls.
    return { ok: false, message: 'phone number must start with 0, + or 00' };
  }
  // Swedish national numbers: trunk 0, area code (never 0), 7–12 digits in all ("08-123 45" is 7).
  if (!/^0[1-9]\d{5,10}$/.test(digits)) return { ok: false, message: 'Swedish phone number has the wrong length' };
  return { ok: true, value: digits };
}
