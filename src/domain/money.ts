/**
 * Money is integer öre end to end (BRP's `priceincvat` is öre). Decimal SEK text is converted by
 * string and BigInt arithmetic only: a float detour turns "0.29" into 28 öre.
 */

export type ParseSekResult = { ok: true; ore: number } | { ok: false; message: string };

/** A non-negative safe integer: the only number we accept as an amount of öre. */
export function isValidOre(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** The sum of amounts in öre, or undefined when one of them (or the sum) is not a valid amount. */
export function sumOre(amounts: readonly number[]): number | undefined {
  let sum = 0;
  for (const a of amounts) {
    if (!isValidOre(a)) return undefined;
    sum += a;
  }
  return isValidOre(sum) ? sum : undefined;
}

/** A line's unit price × quantity (1 when absent), or -1 (invalid, so sumOre refuses it) when either is not a valid number. */
export function lineAmountOre(line: { priceIncVatOre?: unknown; quantity?: unknown }): number {
  const quantity = line.quantity ?? 1;
  if (!isValidOre(line.priceIncVatOre) || !Number.isSafeInteger(quantity)) return -1;
  return line.priceIncVatOre * (quantity as number);
}

// Thousands separators people and spreadsheets produce: space, no-break space, narrow no-break space.
const GROUP_SEP = '[ \\u00A0\\u202F]';
// Digits, optionally grouped in threes by one of GROUP_SEP, then an optional 1–2 digit fraction
// after a single `.` or `,`. A second kind of separator ("1,234.56") never matches: which one
// is the decimal mark would be a guess, and a wrong guess is a 100x price error.
const AMOUNT = new RegExp(`^(\\d+|\\d{1,3}(?:${GROUP_SEP}\\d{3})+)(?:[.,](\\d+))?$`);
// Currency suffix, case-insensitive, with or without a space (any kind) before it.
const SUFFIX = /\s*(?:kr|sek)$/i;

/**
 * Decimal SEK text → integer öre: "2500.00" → 250000, "2 500,00 kr" → 250000, "0.29" → 29.
 * Messages do not echo the input (it can come from a payload we are rejecting).
 */
export function parseSekToOre(text: string): ParseSekResult {
  if (typeof text !== 'string') return { ok: false, message: 'amount must be text' };
  const body = text.trim().replace(SUFFIX, '');
  if (body === '') return { ok: false, message: 'amount is empty' };
  if (/^[-\u2212]/.test(body)) return { ok: false, message: 'amount must not be negative' };

  const match = AMOUNT.exec(body);
  if (!match) {
    if (/[.,].*[.,]/.test(body)) {
      return { ok: false, message: 'amount has more than one decimal or grouping mark; write it as 1234.56 or 1 234,56' };
    }
    if (new RegExp(GROUP_SEP).test(body) && /^[\d \u00A0\u202F.,]+$/.test(body)) {
      return { ok: false, message: 'amount has a digit group that is not three digits long' };
    }
    return { ok: false, message: 'amount is not a decimal number of kronor' };
  }

  const whole = (match[1] ?? '').replace(new RegExp(GROUP_SEP, 'g'), '');
  const fraction = match[2];
  if (fraction !== undefined && fraction.length > 2) {
    return { ok: false, message: 'amount has more than two decimals (öre is the smallest unit)' };
  }
  const ore = BigInt(whole) * 100n + BigInt((fraction ?? '').padEnd(2, '0'));
  if (ore > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, message: 'amount is too large' };
  return { ok: true, ore: Number(ore) };
}

function splitOre(ore: number): { kronor: string; ore: string } {
  if (!isValidOre(ore)) throw new RangeError('amount must be a non-negative safe integer number of öre');
  // Integer division on safe integers is exact; no fractional value is ever formed.
  return { kronor: String(Math.floor(ore / 100)), ore: String(ore % 100).padStart(2, '0') };
}

/** 251000 → "2 510,00": Swedish style for people (plain space as the thousands separator). */
export function formatOreSwedish(ore: number): string {
  const parts = splitOre(ore);
  return `${parts.kronor.replace(/\B(?=(\d{3})+$)/g, ' ')},${parts.ore}`;
}

/** 251000 → "2510.00": machine style (CSV exports, comparisons with portal figures). */
export function formatOreDecimal(ore: number): string {
  const parts = splitOre(ore);
  return `${parts.kronor}.${parts.ore}`;
}

/**
 * Any whole number of öre, as a bigint (sums of many orders, or a negative amount), → `2510.00`,
 * `-0.05`; `decimalMark` `,` for Swedish spreadsheets. Exact at any size: no number is divided.
 */
export function formatOreExact(ore: bigint, decimalMark: '.' | ',' = '.'): string {
  const abs = ore < 0n ? -ore : ore;
  return `${ore < 0n ? '-' : ''}${abs / 100n}${decimalMark}${String(abs % 100n).padStart(2, '0')}`;
}
