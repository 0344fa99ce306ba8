import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { Ledger } from '../../ledger/ledger.js';
import type { PortalIntake } from '../portal-intake.js';
import { scheduleExclusive, withRunLock, type ExclusiveSchedule } from '../exclusive-schedule.js';
import { scanSopInbox, type ScanSummary } from './sop-file-drop.js';
import { ensureSopFolders } from './sop-folders.js';
import { writeSopReceipts } from './sop-receipts.js';
import { previousStockholmDay } from '../../domain/stockholm-date.js';
import { logEvent } from '../../observability/log-event.js';
import { PartnerdError } from '../../errors.js';

export type { ScanSummary, SopFileSummary } from './sop-file-drop.js';

export interface SopIngest {
  /** Schedules the inbox scan (portals.sop.schedule) and the receipts (portals.sop.receiptsSchedule), Stockholm time. */
  start(): void;
  stop(): void;
  /** Scans the inbox now (waits for a scan already running anywhere to finish first). */
  scanOnce(): Promise<ScanSummary>;
  /** Writes `outbox/receipts-{day}.csv`; the default day is yesterday in Stockholm. Returns the path. */
  writeReceipts(day?: string): Promise<string>;
}

/** Run-lock / tick names, shared by every replica. */
export const SOP_SCAN_SCHEDULE = 'sop-scan';
export const SOP_RECEIPTS_SCHEDULE = 'sop-receipts';
const SCAN_LOCK_TTL_MS = 15 * 60_000;

/**
 * The S&P file drop in the daemon: one inbox scan per tick across all replicas (never two at
 * once: two scans of one file would archive it twice), and the daily receipts. The four folders
 * are created where missing.
 */
/** What the S&P file drop needs (the daemon's Services has all of it). */
export interface SopIngestServices {
  config: Config;
  logger: Logger;
  redis: Redis;
  ledger: Ledger;
  portalIntake: PortalIntake;
}

export function createSopIngest(services: SopIngestServices, options: { now?: () => Date; lockWaitMs?: number } = {}): SopIngest {
  const sop = services.config.portals.sop;
  if (!sop) throw new PartnerdError('PD_CONFIG_INVALID', 'portals.sop is not configured (or is switched off)');
  const { redis, logger } = services;
  const prefix = services.config.redis.prefix;
  const now = options.now ?? (() => new Date());
  const deps = { root: sop.root, intake: services.portalIntake, logger, now };
  let schedules: ExclusiveSchedule[] = [];

  const scan = (): Promise<ScanSummary> => scanSopInbox(deps);

  async function receipts(day?: string): Promise<string> {
    return writeSopReceipts(services, day ?? previousStockholmDay(now()));
  }

  return {
    start() {
      if (schedules.length > 0) return;
      ensureSopFolders(sop.root).catch((err) => logEvent(logger, 'sop.folders.error', { err }));
      schedules = [
        scheduleExclusive({ redis, prefix, name: SOP_SCAN_SCHEDULE, cron: sop.schedule, logger, lockTtlMs: SCAN_LOCK_TTL_MS }, scan),
        scheduleExclusive({ redis, prefix, name: SOP_RECEIPTS_SCHEDULE, cron: sop.receiptsSchedule, logger }, () => receipts()),
      ];
      logEvent(logger, 'sop.started', { schedule: sop.schedule, receiptsSchedule: sop.receiptsSchedule });
    },

    stop() {
      for (const s of schedules) s.stop();
      schedules = [];
    },

    async scanOnce() {
      // The same run lock as the scheduled scan: an on-demand scan waits for a running one.
      const deadline = Date.now() + (options.lockWaitMs ?? SCAN_LOCK_TTL_MS);
      for (;;) {
        const result = await withRunLock(redis, prefix, SOP_SCAN_SCHEDULE, SCAN_LOCK_TTL_MS, scan);
        if (result !== undefined) return result;
        if (Date.now() > deadline) throw new PartnerdError('PD_BUSY', 'an S&P inbox scan is still running elsewhere');
        await new Promise((r) => setTimeout(r, 250));
      }
    },

    writeReceipts: receipts,
  };
}
