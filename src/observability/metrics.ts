import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { EventFields, EventName } from './events.js';

/**
 * The per-process Prometheus instruments: counters and the BRP latency histogram. Each process
 * counts what it did itself, so dashboards `sum` them across replicas (and `rate`/`increase`
 * absorb restarts). Gauges read from shared state (the ledger, queues, pauses, portal state) are
 * not here: they are read at scrape time (state-gauges.ts) and give the same value in every
 * replica, so dashboards take their `max`.
 *
 * Counters are fed by the events themselves (`countEvent`, called by logEvent): one `order.*`
 * line is one count, so the log dashboards and the metrics can never disagree. Labels are
 * bounded and never personal: tenant (configured names, `~` for unrouted), portal, outcome
 * (the event's suffix), HTTP status, outcome class. Never an order number.
 */
export const processRegistry = new Registry();

export const ordersTotal = new Counter({
  name: 'partnerd_orders_total',
  help: 'Order events by outcome (accepted, duplicate, unroutable, confirmed, confirmed_unparsed, rejected, retrying, throttled, in_doubt, dead, requeued, resolved, reconciled); one per order.* log line, counted by the process that wrote it: sum across replicas.',
  labelNames: ['portal', 'tenant', 'outcome'] as const,
  registers: [processRegistry],
});

export const confirmedAmountOreTotal = new Counter({
  name: 'partnerd_confirmed_amount_ore_total',
  help: 'Order sums (öre, VAT included) of orders BRP confirmed, counted by the process that recorded the confirmation: sum across replicas; divide by 100 for SEK.',
  labelNames: ['portal', 'tenant'] as const,
  registers: [processRegistry],
});

export const ingestRequestsTotal = new Counter({
  name: 'partnerd_ingest_requests_total',
  help: 'Push-ingest HTTP requests by portal (none: reached no portal) and response status, per process: sum across replicas.',
  labelNames: ['portal', 'status'] as const,
  registers: [processRegistry],
});

export const brpRequestDuration = new Histogram({
  name: 'partnerd_brp_request_duration_seconds',
  help: 'Duration of createpartnerorder calls to BRP by tenant and outcome class (confirmed, confirmed_unparsed, rejected, auth_failed, throttled, transient, in_doubt), per process: sum the buckets across replicas.',
  labelNames: ['tenant', 'class'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [processRegistry],
});

/** Every outcome label partnerd_orders_total can carry (the order.* events). */
export const ORDER_OUTCOMES = [
  'accepted', 'duplicate', 'unroutable', 'confirmed', 'confirmed_unparsed', 'rejected', 'retrying', 'throttled',
  'in_doubt', 'dead', 'requeued', 'resolved', 'reconciled',
] as const;

let recording = true;

/** Off when nothing can read the metrics (the daemon without its admin listener): no work per event. */
export function setMetricsRecording(on: boolean): void {
  recording = on;
}

export function metricsRecording(): boolean {
  return recording;
}

let defaultsOn = false;
/** Node's process metrics (CPU, memory, heap, event-loop lag, handles), once per process. */
export function collectProcessMetrics(): void {
  if (defaultsOn) return;
  defaultsOn = true;
  collectDefaultMetrics({ register: processRegistry });
}

/**
 * Series a rule or dashboard compares over time must exist before their first event, or
 * `increase()` misses the first one: counters start at 0 for every known label set.
 */
export function initialiseOrderCounters(tenants: readonly string[], portals: readonly string[]): void {
  for (const tenant of tenants) {
    for (const portal of portals) {
      for (const outcome of ORDER_OUTCOMES) ordersTotal.labels(portal, tenant, outcome).inc(0);
      confirmedAmountOreTotal.labels(portal, tenant).inc(0);
    }
  }
  for (const portal of portals) ordersTotal.labels(portal, '~', 'unroutable').inc(0);
}

/** Called by logEvent for every event, whatever the log level: the events that are counted. */
export function countEvent<N extends EventName>(name: N, fields: EventFields<N>): void {
  if (!recording) return;
  if (name.startsWith('order.')) {
    const f = fields as { tenant: string; portal: string; amountOre?: number };
    ordersTotal.labels(f.portal, f.tenant, name.slice(6)).inc();
    if (name === 'order.confirmed' && typeof f.amountOre === 'number') confirmedAmountOreTotal.labels(f.portal, f.tenant).inc(f.amountOre);
  } else if (name === 'ingest.request') {
    const f = fields as EventFields<'ingest.request'>;
    ingestRequestsTotal.labels(f.portal ?? 'none', String(f.status)).inc();
  }
}

/** One BRP call's duration, by outcome class. */
export function observeBrpCall(tenant: string, outcomeClass: string, seconds: number): void {
  if (recording) brpRequestDuration.labels(tenant, outcomeClass).observe(seconds);
}
