import type { Redis } from 'ioredis';

/**
 * Each tenant's budget of calls to its BRP: at most `max` calls in ANY window of `durationMs`,
 * shared by every worker and replica. BullMQ's own limiter counts fixed windows, which lets up
 * to twice the budget through around a window boundary (29 calls in one second against a limit
 * of 20 were measured); a BRP that counts a sliding window answers those with 429.
 *
 * Calls are granted evenly spaced, `window / max` apart, not in bursts of `max`: the rate is the
 * same, but what BRP counts is arrivals, a few milliseconds after the grants and not always in
 * the same order. With bursts, a few milliseconds of such jitter move dozens of calls granted for
 * the same instant across the edge of BRP's window (415 calls in one second against a limit of
 * 400 were measured); spaced, they move one or two, which `marginMs` absorbs.
 *
 * A sorted set per tenant logs the instants calls were granted for (Redis' own clock, so
 * replicas with skewed clocks agree). A caller is granted the earliest instant that is one
 * spacing after the latest grant and keeps every window within budget (a Retry-After fills the
 * window at once, see BLOCK), and waits until then: one round trip per call, however full the
 * budget, and no thundering herd of retries. A grant further away than `maxWaitMs` is not taken;
 * the caller is told how long to stay away instead. `marginMs` widens the window a little beyond
 * the configured one, for that jitter.
 *
 *   {prefix}:ratelimit:{tenant}   zset: grant id → granted instant (µs)
 *
 * A caller that reaches its slot late (its process stalled: a GC pause, a slow commit) must not
 * send then: the calls due during the stall would leave together. It gives the missed slot back
 * and takes the next free one (`reserve(…, replaces)`).
 *
 * Every use trims what has left the window, so the set never holds much more than `max` entries
 * and needs no expiry.
 */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local max, window, maxWait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
-- A slot its caller missed (the call was not made then) is given back first.
if ARGV[5] ~= '' then redis.call('ZREM', KEYS[1], ARGV[5]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local at = now
-- Evenly spaced: one spacing after the latest grant.
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then at = math.max(at, math.ceil(tonumber(last[2]) + window / max)) end
local n = redis.call('ZCARD', KEYS[1])
if n >= max then
  -- Every window holding the new call starts after the max-th latest grant: then it is within budget.
  local e = redis.call('ZRANGE', KEYS[1], n - max, n - max, 'WITHSCORES')
  at = math.max(at, tonumber(e[2]) + window)
end
if at - now > maxWait then return {-math.ceil((at - now) / 1000), n} end
redis.call('ZADD', KEYS[1], at, ARGV[3])
return {math.ceil((at - now) / 1000), n + 1}
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
  /** [wait in ms (negative: refused, come back then), grants in the window]. */
  pdReserveSlot(key: string, max: number, windowUs: number, id: string, maxWaitUs: number, replaces: string): Promise<[number, number]>;
  pdBlockSlots(key: string, max: number, windowUs: number, forUs: number): Promise<number>;
};

export interface RateBudget {
  max: number;
  durationMs: number;
  marginMs: number;
}

export type Slot =
  /**
   * The call may be made in `waitMs` (0: now); the slot is counted as `id`. `inWindow`: the
   * grants in the window with this one, those still ahead included (how crowded the budget is).
   */
  | { reserved: true; waitMs: number; id: string; inWindow: number }
  /** No slot within the longest wait asked for: come back in `waitMs`. Nothing was counted. */
  | { reserved: false; waitMs: number };

export class SlidingWindowLimiter {
  private readonly redis: LimiterRedis;
  private seq = 0;
  private readonly id = `${process.pid}.${Math.random().toString(36).slice(2, 8)}`;

  /**
   * `redis`: a connection that fails fast when Redis is away (the daemon's commands connection:
   * no offline queue, a command timeout): a worker asks for a new slot with an attempt open.
   */
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

  /**
   * The earliest slot for one call within `maxWaitMs`; `replaces`: the id of a slot this call
   * missed, given back in the same step (whether or not a new one is granted).
   */
  async reserve(tenant: string, budget: RateBudget, maxWaitMs: number, replaces?: string): Promise<Slot> {
    const windowUs = (budget.durationMs + budget.marginMs) * 1000;
    const id = `${this.id}.${this.seq++}`;
    const [wait, inWindow] = await this.redis.pdReserveSlot(this.key(tenant), budget.max, windowUs, id, maxWaitMs * 1000, replaces ?? '');
    return wait >= 0 ? { reserved: true, waitMs: wait, id, inWindow } : { reserved: false, waitMs: -wait };
  }

  /** No call for this tenant is granted for `ms` from now (BRP's Retry-After), in any replica. */
  async blockFor(tenant: string, budget: RateBudget, ms: number): Promise<void> {
    const windowUs = (budget.durationMs + budget.marginMs) * 1000;
    await this.redis.pdBlockSlots(this.key(tenant), budget.max, windowUs, Math.max(0, ms) * 1000);
  }
}
