import type fc from 'fast-check';

/**
 * How big a fuzz run is, from the environment, for every property of the suite:
 *   FUZZ_RUNS  cases per property (default 14286: the full size, 100,000 cases over the seven
 *              properties; CI runs 5000, `npm test` 300)
 *   FUZZ_SEED  the seed (default: a new one each run; fast-check prints it with any failure)
 *   FUZZ_PATH  replay one failing case: the `path` fast-check printed with FUZZ_SEED
 */
/** The full size: 100,000 generated cases in all over the seven properties (about 20 minutes here). */
export const DEFAULT_FUZZ_RUNS = 14_286;

export function fuzzRuns(): number {
  const raw = process.env.FUZZ_RUNS;
  if (raw === undefined || raw === '') return DEFAULT_FUZZ_RUNS;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`FUZZ_RUNS must be a positive integer, not ${JSON.stringify(raw)}`);
  return n;
}

export function fuzzParameters<T>(): fc.Parameters<T> {
  const seed = process.env.FUZZ_SEED;
  const path = process.env.FUZZ_PATH;
  return {
    numRuns: fuzzRuns(),
    ...(seed !== undefined && seed !== '' ? { seed: Number(seed) } : {}),
    ...(path !== undefined && path !== '' ? { path } : {}),
    // Each case talks to real servers: shrink, but do not let a slow shrink run for hours.
    interruptAfterTimeLimit: 30 * 60_000,
    markInterruptAsFailure: false,
    // The failing check's own message in the report (node:test prints only the message).
    includeErrorInReport: true,
  };
}

/** Small runs also write their log lines to the file the log audit (test/log-audit/) reads; big ones keep them per case. */
export function auditLogWanted(): boolean {
  return fuzzRuns() <= 1_000;
}
