import type { Redis } from 'ioredis';
import { logEvent } from '../observability/log-event.js';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { stockholmDateOf, stockholmDayBounds } from '../domain/stockholm-date.js';
import { scheduleExclusive, withRunLock, type ExclusiveSchedule } from '../ingest/exclusive-schedule.js';
import type { Queryable } from '../ledger/database.js';
import { PersonalDataStore, type RemovalCounts } from '../ledger/personal-data.js';
import { deleteExpiredSopFiles, type SopFileRetention } from './sop-files.js';

/**
 * Retention (docs/personal-data.md), run daily by the daemon (`retention.schedule`, once per tick
 * across replicas) and on demand (`partnerd retention run [--dry-run]`):
 *
 *  1. personal data: the personal fields of every order resting in an outcome (confirmed,
 *     rejected, in doubt, dead, unroutable, rerouted) whose last change is older than
 *     `personalDataDays` are removed; each such order gets an audit row (actor `retention`).
 *     Live orders (queued, retrying, submitting) are never touched: they still need it to be sent.
 *  2. records: whole records of resting orders are deleted once `recordYears` calendar years have
 *     ended after the year of their last change (the bookkeeping period: with 7, a record last
 *     changed in 2018 goes on 1 January 2026). Their audit rows go with them, so the run itself is
 *     the audit of a deletion: a `privacy_actions` row with the counts per state and the cutoff.
 *  3. files: S&P archive/, rejected/ and outbox/ files older than `fileDays` are deleted.
 *
 * Every run (dry runs too) is recorded in `privacy_actions` and logged as `retention.run`.
 */

export const RETENTION_SCHEDULE = 'retention';
const LOCK_TTL_MS = 60 * 60_000;
const BATCH = 1_000;
const DAY_MS = 86_400_000;

export interface RetentionSummary {
  dryRun: boolean;
  personalData: RemovalCounts & { cutoff: string };
  records: RemovalCounts & { cutoff: string };
  /** Absent when S&P is not configured. */
  files?: SopFileRetention & { cutoff: string };
}

export interface RetentionDeps {
  database: Queryable;
  config: Pick<Config, 'retention' | 'portals'>;
  logger: Logger;
}

export interface RetentionOptions {
  dryRun?: boolean;
  now?: Date;
  /** Who runs it: `retention` for the daemon; the operator for the command. */
  actor?: string;
}

/** The cutoffs a run at `now` applies. */
export function retentionCutoffs(retention: Config['retention'], now: Date): { personalData: Date; records: Date; files: Date } {
  const year = Number(stockholmDateOf(now).slice(0, 4));
  return {
    personalData: new Date(now.getTime() - retention.personalDataDays * DAY_MS),
    // The first instant of the calendar year that is still kept (Stockholm midnight, 1 January).
    records: stockholmDayBounds(`${String(year - retention.recordYears).padStart(4, '0')}-01-01`).start,
    files: new Date(now.getTime() - retention.fileDays * DAY_MS),
  };
}

export async function runRetention(deps: RetentionDeps, options: RetentionOptions = {}): Promise<RetentionSummary> {
  const { config, logger } = deps;
  const now = options.now ?? new Date();
  const dryRun = options.dryRun ?? false;
  const actor = options.actor ?? 'retention';
  const store = new PersonalDataStore(deps.database);
  const cutoffs = retentionCutoffs(config.retention, now);

  let personal: RemovalCounts;
  if (dryRun) personal = await store.countExpiredPersonalData(cutoffs.personalData);
  else {
    personal = { byState: {}, total: 0 };
    const detail = `personal data removed: no change for ${config.retention.personalDataDays} days (retention.personalDataDays)`;
    for (;;) {
      const batch = await store.removeExpiredPersonalData(cutoffs.personalData, BATCH, { now, actor, detail });
      add(personal, batch);
      if (batch.examined < BATCH) break;
    }
  }

  let records: RemovalCounts;
  if (dryRun) records = await store.countExpiredRecords(cutoffs.records);
  else {
    records = { byState: {}, total: 0 };
    for (;;) {
      const batch = await store.deleteExpiredRecords(cutoffs.records, BATCH);
      add(records, batch);
      if (batch.total < BATCH) break;
    }
  }

  const sopRoot = config.portals.sop?.root;
  const files = sopRoot ? await deleteExpiredSopFiles(sopRoot, cutoffs.files, dryRun) : undefined;

  const summary: RetentionSummary = {
    dryRun,
    personalData: { ...personal, cutoff: cutoffs.personalData.toISOString() },
    records: { ...records, cutoff: cutoffs.records.toISOString() },
    ...(files ? { files: { ...files, cutoff: cutoffs.files.toISOString() } } : {}),
  };
  await store.recordPrivacyAction({ at: now, actor, action: 'retention', dryRun, summary });
  logEvent(logger, 'retention.run', {
    dryRun, actor,
    personalDataRemoved: personal.total, personalDataByState: personal.byState,
    recordsDeleted: records.total, recordsByState: records.byState,
    filesDeleted: files?.deleted.length, filesKept: files?.kept,
  });
  return summary;
}

function add(into: RemovalCounts, batch: RemovalCounts): void {
  for (const [state, n] of Object.entries(batch.byState)) {
    into.byState[state as keyof RemovalCounts['byState']] = (into.byState[state as keyof RemovalCounts['byState']] ?? 0) + n;
  }
  into.total += batch.total;
}

/**
 * Runs retention under the run lock every replica shares (a scheduled run and a command never
 * overlap); undefined when a run is already going on elsewhere.
 */
export function runRetentionExclusive(deps: RetentionDeps & { redis: Redis; prefix: string }, options: RetentionOptions = {}): Promise<RetentionSummary | undefined> {
  return withRunLock(deps.redis, deps.prefix, RETENTION_SCHEDULE, LOCK_TTL_MS, () => runRetention(deps, options));
}

/** The daemon's daily run (retention.schedule, Stockholm time, once per tick across replicas). */
export function scheduleRetention(deps: RetentionDeps & { redis: Redis; prefix: string }): ExclusiveSchedule {
  return scheduleExclusive(
    { redis: deps.redis, prefix: deps.prefix, name: RETENTION_SCHEDULE, cron: deps.config.retention.schedule, logger: deps.logger, lockTtlMs: LOCK_TTL_MS },
    () => runRetention(deps),
  );
}
