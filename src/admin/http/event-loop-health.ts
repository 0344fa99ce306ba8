import { monitorEventLoopDelay, type ELDHistogram } from 'node:perf_hooks';

/**
 * Whether the event loop has been blocked lately, for /healthz. Node samples the loop's delay
 * (perf_hooks.monitorEventLoopDelay); the worst delay of the current and the previous window
 * counts, so a stall is still reported for one to two windows after it ended — by then the
 * request that asks can be answered at all. A loop blocked right now cannot answer: the
 * liveness probe's own timeout covers that.
 */
export interface EventLoopHealthOptions {
  /** A delay above this counts as blocked; default 1000 ms. */
  maxDelayMs?: number;
  /** Length of one window; default 10 s. */
  windowMs?: number;
}

export interface EventLoopReport {
  blocked: boolean;
  /** Worst delay seen in the current and the previous window, ms. */
  maxDelayMs: number;
  /** 99th percentile of the current window, ms. */
  p99DelayMs: number;
  thresholdMs: number;
}

export class EventLoopHealth {
  private readonly histogram: ELDHistogram;
  private readonly timer: NodeJS.Timeout;
  private previousMaxNs = 0;
  readonly thresholdMs: number;

  constructor(options: EventLoopHealthOptions = {}) {
    this.thresholdMs = options.maxDelayMs ?? 1_000;
    this.histogram = monitorEventLoopDelay({ resolution: 20 });
    this.histogram.enable();
    this.timer = setInterval(() => {
      this.previousMaxNs = this.histogram.max;
      this.histogram.reset();
    }, options.windowMs ?? 10_000);
    this.timer.unref();
  }

  report(): EventLoopReport {
    const current = this.histogram.count > 0 ? this.histogram.max : 0;
    const maxDelayMs = Math.round(Math.max(current, this.previousMaxNs) / 1e6);
    const p99DelayMs = this.histogram.count > 0 ? Math.round(this.histogram.percentile(99) / 1e6) : 0;
    return { blocked: maxDelayMs > this.thresholdMs, maxDelayMs, p99DelayMs, thresholdMs: this.thresholdMs };
  }

  close(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
