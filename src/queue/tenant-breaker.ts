import type { Outcome } from '../brp/classify-outcome.js';
import { backoffDelay } from './backoff.js';

/**
 * What an outcome says about the tenant's BRP, as opposed to the order. A BRP instance that is
 * down for an hour is an ordinary event; it must not use up every waiting order's attempts and
 * kill them. The breaker counts the signals below and, past a threshold, holds the whole tenant
 * (its queue paused, no attempts spent) until a probe gets an answer again.
 *
 *   outcome                                     signal       why
 *   confirmed, confirmed_unparsed, rejected,    answered     BRP is there (whatever it thought of the order)
 *   auth_failed, throttled
 *   transient before sending (refused, DNS,     unreachable  nothing reached BRP
 *   connect timeout)
 *   transient 5xx                               unreachable  BRP is there but broken for everyone
 *   transient 408 / 4xx without <errors>        neutral      a proxy or a wrong URL talking; retried per order
 *   in_doubt (no answer after sending)          timeout      BRP took the request and went silent (hanging,
 *                                                            or it died mid-request)
 */
export type BreakerSignal = 'answered' | 'unreachable' | 'timeout' | 'neutral';

export function breakerSignal(outcome: Outcome): BreakerSignal {
  switch (outcome.class) {
    case 'confirmed':
    case 'confirmed_unparsed':
    case 'rejected':
    case 'auth_failed':
    case 'throttled':
      return 'answered';
    case 'transient':
      if (outcome.status === undefined || outcome.status >= 500) return 'unreachable';
      return 'neutral';
    case 'in_doubt':
      return 'timeout';
  }
}

export interface BreakerPolicy {
  /** Consecutive `unreachable` calls that open the breaker. */
  failures: number;
  /**
   * Consecutive `timeout` calls that open it. Kept low: every call that times out may have
   * created its order and ends in doubt, so a hanging BRP must stop new calls early (at most
   * `concurrency` calls are in flight when it opens).
   */
  timeouts: number;
}

/**
 * Consecutive failures of one tenant's calls in this process. Any answer from BRP resets both
 * counts; `record` says `open` when a count reaches its threshold, and counting starts over (the
 * caller then holds the tenant: every replica counts its own calls, the hold is shared, so after
 * another replica resumed it this one opens again on its next run of failures).
 */
export class TenantBreaker {
  private unreachable = 0;
  private timeouts = 0;

  constructor(private readonly policy: BreakerPolicy) {}

  record(signal: BreakerSignal): 'open' | undefined {
    switch (signal) {
      case 'answered':
        this.unreachable = 0;
        this.timeouts = 0;
        return undefined;
      case 'unreachable':
        if (++this.unreachable < this.policy.failures) return undefined;
        this.unreachable = 0;
        return 'open';
      case 'timeout':
        if (++this.timeouts < this.policy.timeouts) return undefined;
        this.timeouts = 0;
        return 'open';
      case 'neutral':
        return undefined;
    }
  }
}

/**
 * How long until the next probe of a held tenant: `base` after the first failed probe, doubling
 * up to `max` (a BRP that is down for an hour is asked about 70 times, not 3,600).
 */
export function probeDelay(failedProbes: number, base: number, max: number): number {
  return backoffDelay(failedProbes, { baseDelayMs: base, maxDelayMs: max });
}
