/**
 * A benchmark's cleanups (stores, children, temp dirs): registered as they are started, run once,
 * newest first, each bounded at 30 s, whatever ends the run (its end, a failure, the watchdog,
 * SIGINT/SIGTERM).
 */
export interface Teardown {
  /** Registers a cleanup; it runs before those registered earlier. */
  add(fn: () => Promise<unknown> | unknown): void;
  /** Runs every cleanup once; every caller waits for the same run. */
  run(): Promise<void>;
  /** Tears everything down and exits; safe to call again. */
  abort(reason: string, code?: number): Promise<never>;
  /** The normal end: runs the cleanups, and if an abort began meanwhile (the watchdog), waits for it. */
  finish(): Promise<void>;
}

export function createTeardown(log: (message: string) => void, options: { timeoutMs?: number; timeoutName?: string } = {}): Teardown {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  let running: Promise<void> | undefined;
  let aborting: Promise<never> | undefined;

  const run = (): Promise<void> => {
    running ??= (async () => {
      while (cleanups.length > 0) {
        const fn = cleanups.pop()!;
        let timer: NodeJS.Timeout | undefined;
        const bound = new Promise<void>((r) => { timer = setTimeout(() => { log('a cleanup step took over 30 s; moving on'); r(); }, 30_000); });
        try {
          await Promise.race([Promise.resolve().then(fn), bound]);
        } catch (err) {
          log(`cleanup failed: ${(err as Error).message}`);
        } finally {
          clearTimeout(timer);
        }
      }
    })();
    return running;
  };

  const abort = (reason: string, code = 1): Promise<never> => {
    aborting ??= (async () => {
      log(`aborting: ${reason}`);
      await run();
      process.exit(code);
    })();
    return aborting;
  };

  if (options.timeoutMs !== undefined) {
    setTimeout(() => void abort(`${options.timeoutName ?? 'timeout'} (${options.timeoutMs} ms) expired`), options.timeoutMs).unref();
  }
  process.once('SIGINT', () => void abort('SIGINT', 130));
  process.once('SIGTERM', () => void abort('SIGTERM', 143));
  const finish = async (): Promise<void> => {
    await run();
    if (aborting) await aborting;
  };
  return { add: (fn) => void cleanups.push(fn), run, abort, finish };
}
