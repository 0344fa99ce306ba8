import type { Redis } from 'ioredis';
import cron from 'node-cron';
import { Gauge, type Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { Ledger } from '../ledger/ledger.js';
import { MOVING_STATES, ORDER_STATES } from '../ledger/order-state.js';
import type { SettledCounts, StateCount } from '../ledger/settled-counts.js';
import { PULL_PORTALS, type PullPortal } from '../portal-clients/portal-http.js';
import { lastPollSuccess, stoppedInfo } from '../portal-clients/portal-state.js';
import { SCHEDULE_TIMEZONE } from '../ingest/exclusive-schedule.js';
import type { TenantPause } from '../queue/tenant-pause.js';
import type { TenantQueues } from '../queue/tenant-queues.js';

/**
 * Gauges read from shared state at scrape time: the ledger (orders per state, oldest waiting
 * order, notification backlog), the BullMQ queues, tenant pauses and pull-portal state. Every
 * replica reads the same Redis (or database), so every replica reports the same value:
 * dashboards and rules aggregate them with `max`, never `sum` (the help texts say so). Orders in
 * the settled states (confirmed, rerouted: nearly the whole ledger) are the exception: counting
 * them reads the whole table, so they come from a count made in the background, at most
 * `admin.settledCountsMaxAgeSeconds` old; every other state is counted at each read.
 *
 * One read serves all gauges of a scrape and is shared by concurrent scrapes (two Prometheus
 * servers, a curl) for `cacheMs`. It is bounded by `timeoutMs`: a store that hangs leaves the
 * shared gauges out of that scrape (and `partnerd_shared_state_up 0`), never the process metrics.
 */
export interface StateSources {
  config: Config;
  ledger: Pick<Ledger, 'countByTenantPortalState' | 'oldestWaitingByTenant' | 'notifyBacklogByPortal'>;
  /** Confirmed and rerouted orders, counted in the background (shared with the console). */
  settledCounts: Pick<SettledCounts, 'get'>;
  queues: Pick<TenantQueues, 'get'>;
  pause: Pick<TenantPause, 'info'>;
  redis: Redis;
}

export interface StateGaugeOptions {
  /** How long one read of the shared state serves further scrapes; default 2000 ms. */
  cacheMs?: number;
  /** Bound on one read; default 5000 ms (below Prometheus' default 10 s scrape timeout). */
  timeoutMs?: number;
  now?: () => number;
  /** Called when a read fails or times out (the admin listener logs it). */
  onError?: (reason: string) => void;
}

/** BullMQ job states reported per tenant queue. */
export const QUEUE_JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;

interface Snapshot {
  /** Per tenant, portal and state: the moving states as counted now, the settled ones from the background count. */
  orders: StateCount[];
  settledTakenAt: Date;
  oldest: Array<{ tenant: string; receivedAt: Date }>;
  backlog: Array<{ portal: string; count: number }>;
  queues: Array<{ tenant: string; counts: Record<string, number> }>;
  paused: Array<{ tenant: string; reason: string | undefined }>;
  portals: Array<{ portal: PullPortal; stopped: boolean; lastPollOk: number | undefined }>;
  seconds: number;
}

const MAX_HINT = 'Shared state: the same in every replica, aggregate with max.';

/** The longest gap between the next runs of a cron schedule (Stockholm time), in seconds. */
export function schedulePeriodSeconds(expression: string, runs = 12): number {
  const task = cron.createTask(expression, () => undefined, { timezone: SCHEDULE_TIMEZONE });
  try {
    const next = task.getNextRuns(runs).map((d) => d.getTime());
    let max = 0;
    for (let i = 1; i < next.length; i++) max = Math.max(max, next[i]! - next[i - 1]!);
    return max / 1000;
  } finally {
    void task.destroy();
  }
}

export function registerStateGauges(registry: Registry, sources: StateSources, options: StateGaugeOptions = {}): void {
  const { config } = sources;
  const cacheMs = options.cacheMs ?? 2_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const now = options.now ?? Date.now;
  const tenants = Object.keys(config.tenants);
  const pullPortals = PULL_PORTALS.filter((p) => config.portals[p] !== undefined);
  const prefix = config.redis.prefix;
  const periods = new Map(pullPortals.map((p) => [p, schedulePeriodSeconds(config.portals[p]!.schedule)]));

  /** The read in progress (every gauge of a scrape, and concurrent scrapes, share it), then its result for `cacheMs`. */
  let inflight: Promise<Snapshot | undefined> | undefined;
  let last: { at: number; value: Snapshot | undefined } | undefined;

  async function read(): Promise<Snapshot> {
    const started = performance.now();
    const [moving, settled, oldest, backlog, queues, paused, portals] = await Promise.all([
      sources.ledger.countByTenantPortalState(MOVING_STATES),
      sources.settledCounts.get(),
      sources.ledger.oldestWaitingByTenant(),
      sources.ledger.notifyBacklogByPortal(),
      Promise.all(tenants.map(async (tenant) => ({ tenant, counts: await sources.queues.get(tenant).getJobCounts(...QUEUE_JOB_STATES) }))),
      Promise.all(tenants.map(async (tenant) => {
        const info = await sources.pause.info(tenant);
        return { tenant, reason: info ? (info.kind === 'unreachable' ? 'unreachable' : info.httpStatus ? `http_${info.httpStatus}` : 'auth') : undefined };
      })),
      Promise.all(pullPortals.map(async (portal) => {
        const [poll, notify, lastPollOk] = await Promise.all([
          stoppedInfo(sources.redis, prefix, portal),
          stoppedInfo(sources.redis, prefix, portal, 'notifyStopped'),
          lastPollSuccess(sources.redis, prefix, portal),
        ]);
        return { portal, stopped: poll !== undefined || notify !== undefined, lastPollOk };
      })),
    ]);
    return { orders: [...moving, ...settled.rows], settledTakenAt: settled.takenAt, oldest, backlog, queues, paused, portals, seconds: (performance.now() - started) / 1000 };
  }

  /** One bounded read shared by every gauge of a scrape and by concurrent scrapes, then reused for `cacheMs`. */
  function snapshot(): Promise<Snapshot | undefined> {
    if (inflight) return inflight;
    if (last && now() - last.at < cacheMs) return Promise.resolve(last.value);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`shared state not read within ${timeoutMs} ms`)), timeoutMs);
    });
    inflight = Promise.race([read(), timeout])
      .catch((err: unknown) => {
        options.onError?.(err instanceof Error ? err.message : String(err));
        return undefined;
      })
      .then((value) => {
        last = { at: now(), value };
        return value;
      })
      .finally(() => {
        clearTimeout(timer);
        inflight = undefined;
      });
    return inflight;
  }

  /** A gauge filled from the scrape's shared snapshot: cleared first, left empty when the shared state could not be read. */
  function sharedGauge<L extends string>(definition: { name: string; help: string; labelNames: readonly L[] }, fill: (gauge: Gauge<L>, s: Snapshot) => void): void {
    new Gauge<L>({
      ...definition,
      registers: [registry],
      async collect() {
        const s = await snapshot();
        this.reset();
        if (s) fill(this, s);
      },
    });
  }

  new Gauge({
    name: 'partnerd_shared_state_up',
    help: '1 when this scrape could read the shared state (ledger, queues, portal state) within the bound, else 0 and the shared gauges are left out.',
    registers: [registry],
    async collect() {
      this.set((await snapshot()) ? 1 : 0);
    },
  });

  new Gauge({
    name: 'partnerd_shared_state_read_duration_seconds',
    help: 'How long the last read of the shared state for /metrics took (the scrape cost of the ledger gauges).',
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      if (s) this.set(s.seconds);
    },
  });

  new Gauge({
    name: 'partnerd_orders_settled_counted_timestamp_seconds',
    help: `Unix time at which this process last counted the confirmed and rerouted orders of partnerd_orders (recounted in the background once older than ${config.admin.settledCountsMaxAgeSeconds} s). Per process: aggregate with min to see the oldest count behind any replica's numbers.`,
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      if (s) this.set(s.settledTakenAt.getTime() / 1000);
    },
  });

  sharedGauge({
    name: 'partnerd_orders',
    help: `Orders in the ledger by state and tenant (~: unroutable, no tenant yet). confirmed and rerouted come from a background count (partnerd_orders_settled_counted_timestamp_seconds); the other states are counted at each scrape. ${MAX_HINT}`,
    labelNames: ['state', 'tenant'],
  }, (gauge, s) => {
    for (const tenant of tenants) for (const state of ORDER_STATES) gauge.set({ state, tenant }, 0);
    for (const o of s.orders) gauge.inc({ state: o.state, tenant: o.tenant }, o.count); // summed over the portals
  });

  sharedGauge({
    name: 'partnerd_queue_jobs',
    help: `BullMQ jobs per tenant queue and job state. ${MAX_HINT}`,
    labelNames: ['tenant', 'state'],
  }, (gauge, s) => {
    for (const q of s.queues) for (const state of QUEUE_JOB_STATES) gauge.set({ tenant: q.tenant, state }, q.counts[state] ?? 0);
  });

  sharedGauge({
    name: 'partnerd_oldest_waiting_order_age_seconds',
    help: `Age of the oldest order still waiting for BRP (queued, retrying or submitting) per tenant; 0 when none waits. ${MAX_HINT}`,
    labelNames: ['tenant'],
  }, (gauge, s) => {
    const t = now();
    for (const tenant of tenants) gauge.set({ tenant }, 0);
    for (const o of s.oldest) gauge.set({ tenant: o.tenant }, Math.max(0, (t - o.receivedAt.getTime()) / 1000));
  });

  sharedGauge({
    name: 'partnerd_tenant_paused',
    help: `1 while the tenant is held: BRP refused its key (reason http_401/http_403; \`partnerd resume tenant <tenant>\`) or cannot be reached (reason unreachable: the circuit breaker, resumed by its probe), else 0 (reason none). ${MAX_HINT}`,
    labelNames: ['tenant', 'reason'],
  }, (gauge, s) => {
    for (const p of s.paused) gauge.set({ tenant: p.tenant, reason: p.reason ?? 'none' }, p.reason ? 1 : 0);
  });

  sharedGauge({
    name: 'partnerd_portal_stopped',
    help: `1 while polling or notifying the pull portal is stopped because it refused our credentials (\`partnerd resume portal <portal>\`), else 0. ${MAX_HINT}`,
    labelNames: ['portal'],
  }, (gauge, s) => {
    for (const p of s.portals) gauge.set({ portal: p.portal }, p.stopped ? 1 : 0);
  });

  sharedGauge({
    name: 'partnerd_portal_last_poll_success_timestamp_seconds',
    help: `Unix time of the pull portal's last successful poll (every page read and stored), by any replica; 0 when it never succeeded. ${MAX_HINT}`,
    labelNames: ['portal'],
  }, (gauge, s) => {
    for (const p of s.portals) gauge.set({ portal: p.portal }, (p.lastPollOk ?? 0) / 1000);
  });

  new Gauge({
    name: 'partnerd_portal_poll_interval_seconds',
    help: 'The longest gap between two scheduled polls of the pull portal (from its cron schedule): the staleness alert allows 3 of them. From the config: aggregate with max.',
    labelNames: ['portal'] as const,
    registers: [registry],
    collect() {
      for (const [portal, seconds] of periods) this.set({ portal }, seconds);
    },
  });

  sharedGauge({
    name: 'partnerd_notify_backlog',
    help: `Outcomes a pull portal must still be told (the notification queue: due, leased or backing off). ${MAX_HINT}`,
    labelNames: ['portal'],
  }, (gauge, s) => {
    for (const portal of pullPortals) gauge.set({ portal }, 0);
    for (const b of s.backlog) gauge.set({ portal: b.portal }, b.count);
  });
}
