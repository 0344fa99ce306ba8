import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` until it is true; fails when time is up or `child` has exited meanwhile. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, opts: { pollMs?: number; child?: ChildProcess; timeoutMs: number }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (await check()) return;
    if (opts.child && (opts.child.exitCode !== null || opts.child.signalCode !== null)) {
      throw new Error(`${what}: child ${opts.child.pid} exited (${opts.child.exitCode ?? opts.child.signalCode})`);
    }
    if (Date.now() > deadline) throw new Error(`${what}: timed out`);
    await sleep(opts.pollMs ?? 10);
  }
}

/** Runs fn(0..n-1) with at most k in flight. */
export async function runPool(n: number, k: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(k, n) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= n) return;
        await fn(i);
      }
    }),
  );
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

/** SIGTERM, then SIGKILL if it has not gone within graceMs. */
export async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

/** A child's environment without anything that would redirect it (REDIS_URL overrides the config's URL). */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.REDIS_URL;
  delete env.LOG_LEVEL;
  delete env.PARTNERD_CONFIG;
  delete env.NODE_OPTIONS;
  return { ...env, ...extra };
}
