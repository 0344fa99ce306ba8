/**
 * The one back-off policy of partnerd: BRP submissions (a tenant's `retry`), notifications to
 * Wellnet and Epassi, pull portals' polls and the probes of a held tenant all wait with it.
 */
export interface BackoffPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  /** 0..1: the delay is multiplied by a random factor in [1 - jitter, 1 + jitter]; none when absent. */
  jitter?: number;
}

/**
 * Exponential back-off with jitter, capped: attempt 1 waits ~base, attempt 2 ~2×base, …
 * Jitter spreads a burst of failed orders so they do not hit a recovering BRP all at once.
 */
export function backoffDelay(attemptsMade: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exp = policy.baseDelayMs * 2 ** Math.max(0, attemptsMade - 1);
  const capped = Math.min(exp, policy.maxDelayMs);
  const jitter = policy.jitter ?? 0;
  const factor = 1 - jitter + 2 * jitter * random();
  return Math.max(0, Math.round(Math.min(capped * factor, policy.maxDelayMs)));
}
