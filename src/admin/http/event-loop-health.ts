import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

/**
 * Whether the event loop has been blocked lately, for /healthz. A timer samples the loop's delay
 * every 20 ms (how late it fires); the worst delay of the current and the previous window counts,
 * so a stall is still reported for one to two windows after it ended — by then the request that
 * asks can be answered at all. A loop blocked right now cannot answer: the liveness probe's own
 * timeout covers that.
 *
 * Sampling and the window's turn happen in one callback, sample first. (Node's
 * monitorEventLoopDelay samples on its own timer, and resetting it also forgets its last sample
 * time: a stall that began within one sample of a window's end was dropped whenever the reset
 * ran first.)
 */
export interface EventLoopHealthOptions {
  /** A delay above this counts as blocked; default 1000 ms. */
  maxDelayMs?: number;
  /** Length of one window; default 10 s. */
  windowMs?: number;
}

export interface EventLoopReport {
  blocked: boolean;
  /** Worst delay seen in the current and the previous window (or of a sample now overdue), ms. */
  maxDelayMs: number;
  /** 99th percentile of the current window, ms. */
  p99DelayMs: number;
  thresholdMs: number;
}

const SAMPLE_EVERY_MS = 20;
const SAMPLE_EVERY_NS = SAMPLE_EVERY_MS * 1e6;

export class EventLoopHealth {
  private readonly current: RecordableHistogram = createHistogram();
  private readonly timer: NodeJS.Timeout;
  private readonly windowNs: number;
  private previousMaxNs = 0;
  private lastSampleNs = now();
  private windowStartNs = this.lastSampleNs;
  readonly thresholdMs: number;

  constructor(options: EventLoopHealthOptions = {}) {
    this.thresholdMs = options.maxDelayMs ?? 1_000;
    this.windowNs = (options.windowMs ?? 10_000) * 1e6;
    this.timer = setInterval(() => this.sample(), SAMPLE_EVERY_MS);
    this.timer.unref();
  }

  private sample(): void {
    const at = now();
    this.current.record(Math.max(1, Math.round(at - this.lastSampleNs - SAMPLE_EVERY_NS)));
    this.lastSampleNs = at;
    if (at - this.windowStartNs >= this.windowNs) {
      this.previousMaxNs = this.current.max;
      this.current.reset();
      this.windowStartNs = at;
    }
  }

  report(): EventLoopReport {
    // A request served right after a stall can run before the sampler has fired: count the delay
    // of the sample now due as well.
    const overdueNs = Math.max(0, now() - this.lastSampleNs - SAMPLE_EVERY_NS);
    const current = this.current.count > 0 ? this.current.max : 0;
    const maxDelayMs = Math.round(Math.max(current, this.previousMaxNs, overdueNs) / 1e6);
    const p99DelayMs = this.current.count > 0 ? Math.round(this.current.percentile(99) / 1e6) : 0;
    return { blocked: maxDelayMs > this.thresholdMs, maxDelayMs, p99DelayMs, thresholdMs: this.thresholdMs };
  }

  close(): void {
    clearInterval(this.timer);
  }
}

function now(): number {
  return Number(process.hrtime.bigint());
}
