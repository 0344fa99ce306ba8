import { isDatabaseUnavailable } from './database.js';

/**
 * Group commit: the same guarded statement for several orders, sent as one statement (one round
 * trip, one commit, one WAL flush) instead of one each. On this project's hot path every order
 * costs three durable statements (registered, attempt opened, attempt closed), and what a
 * statement costs is mostly its round trip and its commit, not its rows: measured on the 2-core
 * machine, PostgreSQL's CPU per order fell from 1.9 ms to 0.74 ms when eight orders shared them
 * (docs/performance.md, "Fifth pass").
 *
 * Nothing waits for a batch to fill: a request goes out at once when a lane is free, and requests
 * that arrive while every lane is busy go out together when one frees up. An idle daemon sends
 * each statement alone, as before; a busy one batches as much as it is busy.
 *
 * What stays true for every caller, batched or not:
 * - its statement commits before its promise resolves (a batch is one statement: all of it
 *   commits, or none of it);
 * - one order appears at most once in a statement (`conflictKey`): a statement cannot update the
 *   same row twice, and two callers must never both read "started" from one update;
 * - a batch that fails for any reason other than the database being unreachable (a deadlock with
 *   an operator's bulk action, one order's value the database refuses) is run again one request
 *   at a time, so one order's failure stays that order's failure. "Unreachable" fails every
 *   request of the batch with it: each caller already knows what to do then.
 */
export interface GroupCommitOptions<Req> {
  /** The most requests one statement carries. */
  maxBatch: number;
  /** Statements in flight at once: a slow one (a row lock held elsewhere) holds up only its lane. */
  lanes: number;
  /** Requests with the same key never share a statement. */
  conflictKey: (request: Req) => string;
}

interface Pending<Req, Res> {
  request: Req;
  resolve: (result: Res) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<Req, Res> {
  private queue: Array<Pending<Req, Res>> = [];
  private inFlight = 0;
  private scheduled = false;

  /** `run` carries out requests as one statement and answers each, in order (also a batch of one). */
  constructor(
    private readonly many: (requests: Req[]) => Promise<Res[]>,
    private readonly options: GroupCommitOptions<Req>,
  ) {}

  private async one(request: Req): Promise<Res> {
    return (await this.many([request]))[0]!;
  }

  run(request: Req): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Sends on the next turn of the event loop, so requests made in the same turn (jobs that
   * BullMQ handed out together, answers read from one socket) share a statement.
   */
  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.options.lanes || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.inFlight < this.options.lanes && this.queue.length > 0) void this.send(this.take());
    });
  }

  /** The oldest requests, up to maxBatch, no two with the same key; the rest keep their places. */
  private take(): Array<Pending<Req, Res>> {
    const batch: Array<Pending<Req, Res>> = [];
    const keys = new Set<string>();
    const rest: Array<Pending<Req, Res>> = [];
    for (const p of this.queue) {
      const key = this.options.conflictKey(p.request);
      if (batch.length < this.options.maxBatch && !keys.has(key)) {
        keys.add(key);
        batch.push(p);
      } else {
        rest.push(p);
      }
    }
    this.queue = rest;
    return batch;
  }

  private async send(batch: Array<Pending<Req, Res>>): Promise<void> {
    this.inFlight++;
    try {
      if (batch.length === 1) {
        await settle(batch[0]!, () => this.one(batch[0]!.request));
        return;
      }
      let results: Res[];
      try {
        results = await this.many(batch.map((p) => p.request));
      } catch (err) {
        if (isDatabaseUnavailable(err)) {
          for (const p of batch) p.reject(err);
          return;
        }
        // Nothing of the batch was written (one statement). Each on its own, in order.
        for (const p of batch) await settle(p, () => this.one(p.request));
        return;
      }
      batch.forEach((p, i) => p.resolve(results[i]!));
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }
}

async function settle<Req, Res>(p: Pending<Req, Res>, run: () => Promise<Res>): Promise<void> {
  try {
    p.resolve(await run());
  } catch (err) {
    p.reject(err);
  }
}
