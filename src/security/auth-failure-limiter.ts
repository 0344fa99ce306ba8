import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { EventName } from '../observability/events.js';
import { logEvent } from '../observability/log-event.js';

/** The alert a listener's auth-failure bursts are logged as (each is in the catalogue). */
export type AuthFailureEvent = Extract<EventName, `${string}.auth_failures`>;

/**
 * Slows down credential guessing: failed authentications are counted per realm (a portal; later
 * the admin API) and client address. More than `maxFailures` within `windowSeconds` blocks that
 * client in that realm for `blockSeconds`: every request of it is then answered 429 with
 * Retry-After before its credentials are even looked at, the right ones included (otherwise the
 * answer to the right guess would still tell it apart). Other clients, and the same client in
 * other realms, are unaffected. A success forgets the client's failures.
 *
 * The moment a client is blocked, one alert (`ingest.auth_failures` for the push port) is logged (`alert: true`)
 * with the realm, the client address and the counts; what was tried is never logged.
 *
 * The counting is rate-limiter-flexible's (the fixed-window counter with a block that its
 * documentation gives for login protection), not a hand-written one. @fastify/rate-limit does not
 * fit: it counts every request, cannot look at a block before deciding, and cannot count only the
 * failures. The state is in-process on purpose: it must keep refusing guessers while Redis is
 * down (the push routes then answer 503 but still authenticate), a flood of bad requests must not
 * become Redis traffic, and a restart forgetting a few minutes of counts is harmless. The price:
 * with N replicas behind one address a guesser gets N × maxFailures tries per window, still a
 * bounded trickle against secrets of 128 bits or more. rate-limiter-flexible's RateLimiterRedis
 * has the same interface, should a user of this module need one count across replicas.
 */

export interface AuthFailurePolicy {
  maxFailures: number;
  windowSeconds: number;
  blockSeconds: number;
}

export type AuthVerdict = { blocked: false } | { blocked: true; retryAfterSeconds: number };

export class AuthFailureLimiter {
  readonly #limiter: RateLimiterMemory;

  constructor(
    /** The alert to log when a client is blocked, e.g. `ingest.auth_failures` for the push port. */
    private readonly event: AuthFailureEvent,
    private readonly policy: AuthFailurePolicy,
    private readonly logger: Logger,
  ) {
    this.#limiter = new RateLimiterMemory({
      keyPrefix: event,
      points: policy.maxFailures,
      duration: policy.windowSeconds,
      blockDuration: policy.blockSeconds,
    });
  }

  /** Whether `client` is blocked in `realm` now (counts nothing). */
  async check(realm: string, client: string): Promise<AuthVerdict> {
    const res = await this.#limiter.get(key(realm, client));
    return res !== null && res.consumedPoints > this.policy.maxFailures ? blocked(res) : { blocked: false };
  }

  /** Counts one failed authentication; the answer says whether the client is blocked from now on. */
  async fail(realm: string, client: string): Promise<AuthVerdict> {
    try {
      await this.#limiter.consume(key(realm, client));
      return { blocked: false };
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      // consume() blocks the key the first time the count goes over: that is the burst's one alert.
      if (rejection.consumedPoints === this.policy.maxFailures + 1) {
        logEvent(this.logger, this.event, {
          realm,
          client,
          failures: rejection.consumedPoints,
          maxFailures: this.policy.maxFailures,
          windowSeconds: this.policy.windowSeconds,
          blockedSeconds: this.policy.blockSeconds,
        });
      }
      return blocked(rejection);
    }
  }

  /** A client that authenticated starts from zero. */
  async succeed(realm: string, client: string): Promise<void> {
    await this.#limiter.delete(key(realm, client));
  }
}

function key(realm: string, client: string): string {
  return `${realm}|${client}`;
}

function blocked(res: RateLimiterRes): AuthVerdict {
  return { blocked: true, retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) };
}
