import { PartnerdError } from '../../errors.js';
import { logEvent } from '../../observability/log-event.js';
import { scheduleExclusive, withRunLock, type ExclusiveSchedule } from '../exclusive-schedule.js';
import { PortalNotifier, type NotifierServices, type PortalNotifierOptions } from '../../portal-clients/portal-notifier.js';
import { EpassiClient } from '../../portal-clients/epassi-client.js';
import { EpassiPoller } from './epassi-poller.js';
import { PULL_PORTALS, type PullPortal } from '../../portal-clients/portal-http.js';
import { emptySummary, type PollerServices, type PollSummary, type PortalPoller } from './portal-poller.js';
import { DEFAULT_BACKOFF } from '../../portal-clients/portal-state.js';
import type { BackoffPolicy } from '../../queue/backoff.js';
import { WellnetClient } from '../../portal-clients/wellnet-client.js';
import { WellnetPoller } from './wellnet-poller.js';

export type { PollSummary, PollOutcome } from './portal-poller.js';
export type { PullPortal } from '../../portal-clients/portal-http.js';
export { resumePortal, portalStatus } from '../../portal-clients/portal-state.js';

export interface PullIngestOptions {
  /** How often the notifier looks for due notifications; default 2000 ms. */
  notifyIntervalMs?: number;
  /** Back-off of scheduled polls after 429/5xx/network failures (see portal-state.ts). */
  backoff?: BackoffPolicy;
  notifier?: Omit<PortalNotifierOptions, 'clients'>;
  /** Longest a poll run may hold its run lock; default 10 min. */
  lockTtlMs?: number;
  /** Clock for back-off decisions (tests). */
  now?: () => number;
}

export interface PullIngest {
  /** The configured pull portals (those with a `portals.{wellnet,epassi}` section). */
  readonly portals: readonly PullPortal[];
  readonly notifier: PortalNotifier;
  /** Schedules each configured portal (its cron, Stockholm time, one run per tick across replicas) and starts the notifier. */
  start(): void;
  /** Stops the schedules and the notifier, waits for runs in progress, closes the portal connections. */
  stop(): Promise<void>;
  /**
   * One poll now (CLI `partnerd poll <portal>`): ignores the back-off pause, not a stop (resume
   * first); `busy` when another run of the portal is in progress anywhere.
   */
  pollOnce(portal: PullPortal): Promise<PollSummary>;
}

/** The schedule / run-lock name of a portal's poll: `{prefix}:tick:poll:{portal}:…`, `{prefix}:lock:poll:{portal}`. */
export function pollScheduleName(portal: PullPortal): string {
  return `poll:${portal}`;
}

/**
 * Pull ingest for Wellnet and Epassi: a poller per configured portal on its schedule, and the
 * notifier that tells both portals each outcome. Uses the services' Redis connection (the tick
 * claim and run lock make replicas take turns) and one HTTP pool per portal, shared by its
 * poller and the notifier.
 */
/** What pull ingest needs (the daemon's Services has all of it): the pollers' and the notifier's. */
export type PullIngestServices = PollerServices & NotifierServices;

export function createPullIngest(services: PullIngestServices, options: PullIngestOptions = {}): PullIngest {
  const { config, logger, redis } = services;
  const prefix = config.redis.prefix;
  const lockTtlMs = options.lockTtlMs ?? 10 * 60_000;
  const pollerOptions = { backoff: options.backoff ?? DEFAULT_BACKOFF, ...(options.now ? { now: options.now } : {}) };

  const wellnetSection = config.portals.wellnet;
  const epassiSection = config.portals.epassi;
  const wellnet = wellnetSection ? new WellnetClient(wellnetSection) : undefined;
  const epassi = epassiSection ? new EpassiClient(epassiSection) : undefined;
  const pollers = new Map<PullPortal, { poller: PortalPoller; schedule: string }>();
  if (wellnet && wellnetSection) pollers.set('wellnet', { poller: new WellnetPoller(services, wellnet, wellnetSection.pageSize, pollerOptions), schedule: wellnetSection.schedule });
  if (epassi && epassiSection) pollers.set('epassi', { poller: new EpassiPoller(services, epassi, epassiSection.pageSize, pollerOptions), schedule: epassiSection.schedule });

  const notifier = new PortalNotifier(services, { ...options.notifier, clients: { ...(wellnet ? { wellnet } : {}), ...(epassi ? { epassi } : {}) } });
  const schedules: ExclusiveSchedule[] = [];
  const running = new Set<Promise<unknown>>();
  let started = false;
  let stopping: Promise<void> | undefined;

  function track<T>(p: Promise<T>): Promise<T> {
    running.add(p);
    void p.finally(() => running.delete(p)).catch(() => undefined);
    return p;
  }

  return {
    portals: PULL_PORTALS.filter((p) => pollers.has(p)),
    notifier,

    start() {
      if (started || stopping) return;
      started = true;
      for (const [portal, { poller, schedule }] of pollers) {
        schedules.push(
          scheduleExclusive(
            { redis, prefix, name: pollScheduleName(portal), cron: schedule, logger, lockTtlMs },
            // A tick that fires while stopping does nothing (the connections are closing).
            () => (stopping ? Promise.resolve() : track(poller.run({ respectBackoff: true }))),
          ),
        );
      }
      if (pollers.size > 0) notifier.start(options.notifyIntervalMs ?? 2_000);
      logEvent(logger, 'pull.started', { portals: [...pollers.keys()], schedules: Object.fromEntries([...pollers].map(([p, v]) => [p, v.schedule])) });
    },

    stop() {
      stopping ??= (async () => {
        for (const s of schedules) s.stop();
        await notifier.stop();
        await Promise.allSettled([...running]);
        await Promise.all([wellnet?.close(), epassi?.close()]);
        if (started) logEvent(logger, 'pull.stopped', {});
      })();
      return stopping;
    },

    async pollOnce(portal) {
      const entry = pollers.get(portal);
      if (!entry) throw new PartnerdError('PD_CONFIG_INVALID', `portal ${portal} is not configured for polling (portals.${portal})`);
      const result = await track(withRunLock(redis, prefix, pollScheduleName(portal), lockTtlMs, () => entry.poller.run({ respectBackoff: false })));
      return result ?? { ...emptySummary(portal, 'busy'), error: 'another poll of this portal is running' };
    },
  };
}
