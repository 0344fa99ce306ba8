import type { TenantConfig } from '../config/schema.js';

/**
 * Exponential back-off with jitter, capped: attempt 1 waits ~base, attempt 2 ~2×base, …
 * Jitter spreads a burst of failed orders so they do not hit a recovering BRP all at once.
 */
export function backoffDelay(attemptsMade: number, retry: TenantConfig['retry'], random: () => number = Math.random): number {
  const exp = retry.baseDelayMs * 2 ** Math.max(0, attemptsMade - 1);
  const capped = Math.min(exp, retry.maxDelayMs);
  const factor = 1 - retry.jitter + 2 * retry.jitter * random();
  return Math.max(0, Math.round(Math.min(capped * factor, retry.maxDelayMs)));
}
