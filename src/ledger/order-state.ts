/**
 * The life of an order in partnerd. `queued`/`retrying`/`submitting` are live; the rest are
 * where an order rests until an operator acts (see docs/architecture.md for the diagram).
 */
export const ORDER_STATES = [
  'queued', // stored, a BullMQ job waits for it
  'submitting', // an attempt is open: the HTTP call to BRP may be in flight
  'retrying', // a transient failure; the job will run again after back-off
  'confirmed', // BRP created the order (confirmation recorded, or an unparseable 2xx flagged for review)
  'rejected', // BRP answered with <errors>: no retry
  'in_doubt', // BRP may have created it; held for an operator (policy `hold`)
  'dead', // transient failures used up every attempt; re-queueable
  'unroutable', // a portal order whose venue or article is not in the configuration; kept until re-routed
  'rerouted', // an unroutable order that was routed after a config fix; continues under `routedTo`
] as const;
export type OrderState = (typeof ORDER_STATES)[number];

/** States in which the order still has (or should have) a BullMQ job. */
export const LIVE_STATES: readonly OrderState[] = ['queued', 'submitting', 'retrying'];

/**
 * States as an SQL list, `('queued', 'submitting', 'retrying')`: written into the statement as a
 * constant (not a parameter) so the planner can prove a partial index such as `orders_live` applies.
 * Only for the fixed lists below: the names are ours, never input.
 */
function sqlList(states: readonly OrderState[]): string {
  return `(${states.map((s) => `'${s}'`).join(', ')})`;
}

export const LIVE_STATES_SQL = sqlList(LIVE_STATES);

/**
 * Outcomes an order rests in that its portal is told or that S&P's receipts list; the time it
 * first reached one is kept (`final_at`) until it leaves it.
 */
export const FINAL_STATES: readonly OrderState[] = ['confirmed', 'rejected', 'unroutable'];
export const FINAL_STATES_SQL = sqlList(FINAL_STATES);

/**
 * States nearly every order of a big ledger ends in and stays in: counting them reads most of the
 * table, so views that show counts (the console's overview, the metrics' orders per state) take
 * them from a count made in the background (settled-counts.ts) and count only the rest, the
 * moving states, on each read (from the state index: a small share of the ledger).
 */
export const SETTLED_STATES: readonly OrderState[] = ['confirmed', 'rerouted'];
export const MOVING_STATES: readonly OrderState[] = ORDER_STATES.filter((s) => !SETTLED_STATES.includes(s));

/** States an operator may re-queue from. `confirmed` never: that would be a second BRP order. */
export const REQUEUEABLE_STATES: readonly OrderState[] = ['dead', 'rejected', 'in_doubt'];

export type AttemptClass =
  | 'confirmed'
  | 'confirmed_unparsed'
  | 'rejected'
  | 'auth_failed'
  | 'throttled'
  | 'transient'
  | 'in_doubt'
  | 'interrupted';

export interface AttemptRecord {
  n: number;
  startedAt: string;
  endedAt?: string;
  class: AttemptClass;
  httpStatus?: number;
  /** How long the BRP call took (request sent to answer or failure). */
  durationMs?: number;
  /** Short, personal-data-free description (error code, BRP error code/message). */
  detail?: string;
}
