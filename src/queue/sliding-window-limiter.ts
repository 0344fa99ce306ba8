import type { Redis } from 'ioredis';

/**
 * Each tenant's budget of calls to its BRP: at most `max` calls in ANY window of `durationMs`,
 * shared by every worker and replica. BullMQ's own limiter counts fixed windows, which lets up
 * to twice the budget through around a window boundary (29 calls in one second against a limit
 * of 20 were measured); a BRP that counts a sliding window answers those with 429.
 *
 * A sorted set per tenant logs the instants calls were granted for (Redis' own clock, so
 * replicas with skewed clocks agree). A caller is granted the earliest instant at which its call
 * keeps every window within budget — now, or when the max-th latest grant leaves the window —
 * and waits until then: one round trip per call, however full the budget, and no thundering herd
 * of retries. A grant further away than `maxWaitMs` is not taken; the caller is told how long to
 * stay away instead. `marginMs` widens the window a little beyond the configured one: BRP counts
 * arrivals, a few milliseconds after the grants and not always in the same order.
 *
 *   {prefix}:ratelimit:{tenant}   zset: grant id → granted instant (µs)
 *
 * Every use trims what has left the window, so the set never holds much more than `max` entries
 * and needs no expiry.
 */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local max, window, maxWait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
local at = now
if n >= max then
  -- Every window holding the new call starts after the max-th latest grant: then it is within budget.
  local e = redis.call('ZRANGE', KEYS[1], n - max, n - max, 'WITHSCORES')
  at = math.max(now, tonumber(e[2]) + window)
end
if at - now > maxWait then return -math.ceil((at - now) / 1000) end
redis.call('ZADD', KEYS[1], at, at .. ':' .. ARGV[3])
return math.ceil((at - now) / 1000)
`;

/**
 * BRP asked us to stay away for ARGV[3] µs: the window is filled with `max` grants that leave it
 * exactly then, so no call is granted before, by any replica.
 */
const BLOCK = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local max, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local untilUs = now + tonumber(ARGV[3])
for i = 1, max do redis.call('ZADD', KEYS[1], untilUs - window, 'block:' .. untilUs .. ':' .. i) end
return 1
`;

type LimiterRedis = Redis & {
  pdReserveSlot(key: string, max: number, windowUs: number, id: string, maxWaitUs: number): Promise<number>;
  pdBlockSlots(key: string, max: number, windowUs: number, forUs: number): Promise<number>;
};

export interface RateBudget {
  max: number;
  durationMs: number;
  marginMs: number;
}

export type Slot =
  /** The call may be made in `waitMs` (0: now); the slot is counted. */
  | { reserved: true; waitMs: number }
  /** No slot within the longest wait asked for: come back in `waitMs`. Nothing was counted. */
  | { reserved: false; waitMs: number };

export class SlidingWindowLimiter {
  private readonly redis: LimiterRedis;
  private seq = 0;
  private readonly id = `${process.pid}.${Math.random().toString(36).slice(2, 8)}`;

  constructor(redis: Redis, private readonly prefix: string) {
    this.redis = redis as LimiterRedis;
    if (!('pdReserveSlot' in redis)) {
      redis.defineCommand('pdReserveSlot', { numberOfKeys: 1, lua: RESERVE });
      redis.defineCommand('pdBlockSlots', { numberOfKeys: 1, lua: BLOCK });
    }
  }

  private key(tenant: string): string {
    return `${this.prefix}:ratelimit:${tenant}`;
  }

  /** The earliest slot for one call within `maxWaitMs`. */
  async reserve(tenant: string, budget: RateBudget, maxWaitMs: number): Promise<Slot> {
    const windowUs = (budget.durationMs + budget.marginMs) * 1000;
    const r = await this.redis.pdReserveSlot(this.key(tenant), budget.max, windowUs, `${this.id}.${this.seq++}`, maxWaitMs * 1000);
    return r >= 0 ? { reserved: true, waitMs: r } : { reserved: false, waitMs: -r };
  }

  /** No call for this tenant is granted for `ms` from now (BRP's Retry-After), in any replica. */
  async blockFor(tenant: string, budget: RateBudget, ms: number): Promise<void> {
    const windowUs = (budget.durationMs + budget.marginMs) * 1000;
    await this.redis.pdBlockSlots(this.key(tenant), budget.max, windowUs, Math.max(0, ms) * 1000);
  }
}
