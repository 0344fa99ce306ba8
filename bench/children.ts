import { execFileSync, type ChildProcess } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

/**
 * How a child runs a TypeScript entry point: `node --import tsx <file.ts>` on the sources (`tsx`),
 * or plain `node <file.js>` on a tsc build in the temp dir (`dist`), as production runs it
 * (bin/partnerd.js → dist/): no TypeScript loader in the process, its memory or its start-up.
 * The build goes into `tmp`, never into the repo; it is made once, before anything is measured.
 */
export class ChildRuntime {
  private distRoot: string | undefined;
  /** Folders the compiled code reads at run time, relative to its own location. */
  static readonly ASSETS = ['migrations', 'views'];

  constructor(
    readonly runtime: 'tsx' | 'dist',
    private readonly root: string,
    private readonly tmp: string,
    /** What to compile, relative to root (a folder or a file). */
    private readonly sources: string[],
    private readonly log: (msg: string) => void,
  ) {
    if (runtime === 'dist') this.build();
  }

  command(entry: string): { cwd: string; args: string[] } {
    if (this.runtime === 'tsx') return { cwd: this.root, args: ['--import', 'tsx', entry] };
    return { cwd: this.root, args: [join(this.distRoot!, entry.replace(/\.ts$/, '.js'))] };
  }

  private build(): void {
    const distRoot = join(this.tmp, 'pkg');
    const tsconfig = join(this.tmp, 'tsconfig.bench-build.json');
    writeFileSync(tsconfig, JSON.stringify({
      extends: join(this.root, 'tsconfig.json'),
      compilerOptions: { rootDir: this.root, outDir: distRoot, noEmit: false, sourceMap: false, declaration: false, typeRoots: [join(this.root, 'node_modules/@types')] },
      include: this.sources.map((s) => join(this.root, s)),
    }));
    this.log(`compiling ${this.sources.join(' and ')} into ${distRoot}`);
    execFileSync(process.execPath, [join(this.root, 'node_modules/typescript/bin/tsc'), '-p', tsconfig], { cwd: this.root, stdio: ['ignore', 2, 2] });
    writeFileSync(join(distRoot, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    // What the code finds beside itself (import.meta.dirname + '../../migrations'), as in the image.
    for (const dir of ['node_modules', ...ChildRuntime.ASSETS]) symlinkSync(join(this.root, dir), join(distRoot, dir));
    this.distRoot = distRoot;
  }
}
