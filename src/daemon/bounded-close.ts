import type { Logger } from 'pino';
import { logEvent } from '../observability/log-event.js';

/**
 * How long one part of the shutdown (a listener, a connection, the workers after the grace
 * period) may take to close. A store that hangs (a frozen Redis, a dead network path) never
 * answers QUIT, and BullMQ's Worker.close() waits on its connections; the daemon must still stop.
 */
export const CLOSE_STEP_MS = 3_000;

/**
 * Runs one close step and waits for it at most `ms`. A step that does not finish in time is
 * logged (`daemon.close_stuck`, naming the part), left behind, and `onTimeout` cuts it off where
 * that is possible (disconnect instead of quit, destroy instead of close).
 */
export async function closeWithin(
  logger: Logger,
  part: string,
  close: () => Promise<unknown>,
  options: { ms?: number; onTimeout?: () => unknown } = {},
): Promise<boolean> {
  const ms = options.ms ?? CLOSE_STEP_MS;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), ms); });
  const closing = Promise.resolve().then(close).then(() => 'closed' as const, (err: unknown) => {
    logEvent(logger, 'daemon.close_failed', { part, err });
    return 'closed' as const;
  });
  const result = await Promise.race([closing, timedOut]);
  clearTimeout(timer);
  if (result === 'closed') return true;
  logEvent(logger, 'daemon.close_stuck', { part, waitedMs: ms });
  try {
    options.onTimeout?.();
  } catch {
    // cutting off is best effort: the process is on its way out
  }
  return false;
}
