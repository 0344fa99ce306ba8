import cron, { type ScheduledTask } from 'node-cron';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { logEvent } from '../observability/log-event.js';

/** Stockholm time for every schedule: "06:00" means 06:00 in Sweden, summer and winter. */
export const SCHEDULE_TIMEZONE = 'Europe/Stockholm';

/**
 * Claims one tick of a schedule for this process. Every replica's node-cron fires at the same
 * tick; the first to SET the tick's key wins and the others skip it, so each tick runs once in
 * total. The key expires by itself; `ttlMs` should exceed any clock skew between replicas.
 */
export async function claimTick(redis: Redis, prefix: string, name: string, tick: Date, ttlMs = 10 * 60_000): Promise<boolean> {
  // node-cron hands every replica the same scheduled second, which identifies the tick.
  const second = Math.floor(tick.getTime() / 1000);
  return (await redis.set(`${prefix}:tick:${name}:${second}`, '1', 'PX', ttlMs, 'NX')) === 'OK';
}

/**
 * A lock that keeps one run of a job at a time across replicas (a poll that outlasts its interval
 * must not overlap the next). Released by its owner; expires if the owner dies.
 */
export async function withRunLock<T>(redis: Redis, prefix: string, name: string, ttlMs: number, task: () => Promise<T>): Promise<T | undefined> {
  const key = `${prefix}:lock:${name}`;
  const token = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  if ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') return undefined;
  try {
    return await task();
  } finally {
    // Delete only our own lock (it may have expired and been taken by another replica).
    await redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end", 1, key, token);
  }
}

export interface ExclusiveSchedule {
  stop(): void;
}

/**
 * Runs `task` on a cron schedule (Stockholm time), once per tick across all replicas and never
 * overlapping itself. Errors are logged, never thrown into node-cron.
 */
export function scheduleExclusive(
  options: { redis: Redis; prefix: string; name: string; cron: string; logger: Logger; lockTtlMs?: number },
  task: () => Promise<unknown>,
): ExclusiveSchedule {
  const { redis, prefix, name, logger } = options;
  const job: ScheduledTask = cron.schedule(
    options.cron,
    async (ctx?: { date?: Date }) => {
      const tick = ctx?.date instanceof Date ? ctx.date : new Date();
      try {
        if (!(await claimTick(redis, prefix, name, tick))) return;
        const ran = await withRunLock(redis, prefix, name, options.lockTtlMs ?? 10 * 60_000, async () => {
          await task();
          return true;
        });
        if (ran === undefined) logEvent(logger, 'schedule.skipped', { schedule: name, reason: 'previous run still going' });
      } catch (err) {
        logEvent(logger, 'schedule.error', { schedule: name, err });
      }
    },
    { timezone: SCHEDULE_TIMEZONE, name, noOverlap: true },
  );
  return { stop: () => void job.stop() };
}
