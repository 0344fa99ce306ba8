import type { Redis } from 'ioredis';

/**
 * Each tenant's budget of calls to its BRP: at most `max` calls in ANY window of `windowMs`,
 * shared by every worker and replica. BullMQ's own limiter counts fixed windows, which lets up
 * to twice the budget through around a window boundary (29 calls in one second against a limit
 * of 20 were measured); a BRP that counts a sliding window answers those with 429.
 *
 * A sorted set per tenant logs the grant times of the last window (Redis' own clock, so replicas
 * with skewed clocks agree). A grant is refused with the time until the oldest grant leaves the
 * window. `marginMs` widens the window a little beyond the configured one: what BRP counts is
 * when requests arrive, a few milliseconds after they were granted and not always in the same
 * order, so two grants exactly one window apart must not arrive less than one window apart.
 *
 *   {prefix}:ratelimit:{tenant}   zset: grant id → grant time (µs)
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, math.ceil((tonumber(oldest[2]) + window - now) / 1000))
`;

type LimiterRedis = Redis & { pdAcquireSlot(key: string, max: number, windowUs: number, id: string): Promise<number> };

export interface RateBudget {
  max: number;
  durationMs: number;
  marginMs: number;
}

export class SlidingWindowLimiter {
  private readonly redis: LimiterRedis;
  private seq = 0;
  private readonly id = `${process.pid}.${Math.random().toString(36).slice(2, 8)}`;

  constructor(redis: Redis, private readonly prefix: string) {
    this.redis = redis as LimiterRedis;
    if (!('pdAcquireSlot' in redis)) redis.defineCommand('pdAcquireSlot', { numberOfKeys: 1, lua: ACQUIRE });
  }

  /** 0: a call may be made now (and is counted); otherwise the milliseconds to wait before asking again. */
  async acquire(tenant: string, budget: RateBudget): Promise<number> {
    const windowUs = (budget.durationMs + budget.marginMs) * 1000;
    return this.redis.pdAcquireSlot(`${this.prefix}:ratelimit:${tenant}`, budget.max, windowUs, `${this.id}.${this.seq++}`);
  }
}
