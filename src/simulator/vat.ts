/**
 * VAT arithmetic for VAT-inclusive prices in integer öre. No floats touch money: everything is
 * BigInt, and the VAT part is rounded half up:
 *
 *   vat = round(price * rate / (100 + rate))
 *
 * e.g. 250000 öre at 6 % → 14151, 1000 öre at 25 % → 200.
 */

/** VAT part of a VAT-inclusive price (öre), rate in whole percent. */
export function vatPartOfInclusive(priceIncVat: bigint, ratePercent: number): bigint {
  if (priceIncVat < 0n) throw new RangeError('price must not be negative');
  if (!Number.isInteger(ratePercent) || ratePercent < 0) throw new RangeError('VAT rate must be a non-negative integer');
  const rate = BigInt(ratePercent);
  const denominator = 100n + rate;
  // half up for non-negative numbers: floor((2·p·r + d) / 2d)
  return (2n * priceIncVat * rate + denominator) / (2n * denominator);
}

export interface VatLine {
  priceIncVat: bigint;
  ratePercent: number;
}

export interface VatSummary {
  /** Sum of the VAT-inclusive prices. */
  sum: bigint;
  /** Total VAT (the sum of the per-line VAT parts). */
  vat: bigint;
  /** `sum - vat`. */
  sumExVat: bigint;
  /** VAT per rate, highest rate first (the order of the doc's example). */
  vatSums: Array<{ rate: number; amount: bigint }>;
}

/** VAT is computed per line and then summed per rate. */
export function summariseVat(lines: readonly VatLine[]): VatSummary {
  let sum = 0n;
  let vat = 0n;
  const perRate = new Map<number, bigint>();
  for (const line of lines) {
    const part = vatPartOfInclusive(line.priceIncVat, line.ratePercent);
    sum += line.priceIncVat;
    vat += part;
    perRate.set(line.ratePercent, (perRate.get(line.ratePercent) ?? 0n) + part);
  }
  const vatSums = [...perRate.entries()]
    .sort((a, b) => b[0] - a[0])
    .map(([rate, amount]) => ({ rate, amount }));
  return { sum, vat, sumExVat: sum - vat, vatSums };
}
