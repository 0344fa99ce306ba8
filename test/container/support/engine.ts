import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The container engine the tests drive, as the environment names it (on this machine
 * /etc/container-build.env, written by ../shared/container/prepare-engine.sh):
 *   CONTAINER_ENGINE       podman or docker
 *   CONTAINER_BUILD_FLAGS  extra `build` flags (here: --pull=never, host network, npm's CA bundle)
 *   CONTAINER_RUN_FLAGS    extra `run` flags (here: --network=host)
 * The flags are split on white space (they hold no quoted values).
 */
export const ROOT = resolve(import.meta.dirname, '../../..');

export interface Engine {
  cmd: string;
  buildFlags: string[];
  runFlags: string[];
}

export function engineFromEnv(): Engine {
  const cmd = process.env.CONTAINER_ENGINE;
  if (!cmd) {
    throw new Error('CONTAINER_ENGINE is not set: run ../shared/container/prepare-engine.sh and `. /etc/container-build.env` first (or set CONTAINER_ENGINE=docker)');
  }
  const words = (v: string | undefined) => (v ?? '').split(/\s+/).filter(Boolean);
  return { cmd, buildFlags: words(process.env.CONTAINER_BUILD_FLAGS), runFlags: words(process.env.CONTAINER_RUN_FLAGS) };
}

export interface RunResult {
  status: number | null;
  stdout: string;
  /** stdout as bytes (a pg_dump archive). */
  stdoutBytes: Buffer;
  stderr: string;
  ms: number;
}

/** Runs a command to its end (asynchronously: a health-check loop may run meanwhile). */
export function run(cmd: string, args: string[], options: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (status) => {
      clearTimeout(timer);
      const bytes = Buffer.concat(out);
      resolvePromise({ status, stdout: bytes.toString('utf8'), stdoutBytes: bytes, stderr: Buffer.concat(err).toString('utf8'), ms: performance.now() - started });
    });
    child.stdin.on('error', () => undefined); // the command may exit without reading its input
    child.stdin.end(options.input ?? '');
  });
}

/** Runs a command that must succeed; its output on failure. */
export async function must(cmd: string, args: string[], options: Parameters<typeof run>[2] = {}): Promise<RunResult> {
  const r = await run(cmd, args, options);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr.slice(-3000)}${r.stdout.slice(-2000)}`);
  return r;
}

/** The image tag the container tests build and run. */
export const IMAGE = 'localhost/partnerd:container-test';

/**
 * Builds the project's Dockerfile, unchanged, with the layer cache (a rebuild after a change in
 * src/ only redoes the TypeScript build and the runtime layers). Podman's default image format
 * (OCI) has no HEALTHCHECK: --format docker keeps it, as `docker build` does.
 */
export async function buildImage(engine: Engine, tag = IMAGE): Promise<{ seconds: number }> {
  const format = /(^|\/)(podman|buildah)$/.test(engine.cmd) ? ['--format', 'docker'] : [];
  const r = await must(engine.cmd, ['build', ...engine.buildFlags, ...format, '-t', tag, ROOT], { timeoutMs: 900_000 });
  return { seconds: r.ms / 1000 };
}

/**
 * Builds a stand-in image from test/container/standins/<dir> when the tag is missing, or when it
 * is a stand-in built from other files (label partnerd.standin: a hash of the folder). An image
 * under that tag that is not a stand-in (the real one, pulled) is left alone and used.
 */
export async function ensureStandin(engine: Engine, tag: string, dir: string): Promise<'present' | 'real image' | 'built'> {
  const folder = join(ROOT, 'test/container/standins', dir);
  const hash = createHash('sha256');
  for (const f of readdirSync(folder).sort()) hash.update(f).update(readFileSync(join(folder, f)));
  const digest = hash.digest('hex').slice(0, 16);
  const found = await run(engine.cmd, ['image', 'inspect', '--format', '{{json .Config.Labels}}', tag]);
  if (found.status === 0) {
    const labels = (JSON.parse(found.stdout) ?? {}) as Record<string, string>;
    if (labels['partnerd.standin'] === undefined) return 'real image';
    if (labels['partnerd.standin'] === digest) return 'present';
  }
  const format = /(^|\/)(podman|buildah)$/.test(engine.cmd) ? ['--format', 'docker'] : [];
  await must(engine.cmd, ['build', ...engine.buildFlags, ...format, '--label', `partnerd.standin=${digest}`, '-t', tag, folder], { timeoutMs: 900_000 });
  return 'built';
}

export async function inspect<T = unknown>(engine: Engine, what: 'image' | 'container', name: string, format: string): Promise<T> {
  const r = await must(engine.cmd, [what, 'inspect', '--format', `{{json ${format}}}`, name]);
  return JSON.parse(r.stdout) as T;
}

/** Size in bytes, as the engine reports it (the unpacked size of every layer). */
export async function imageBytes(engine: Engine, tag: string): Promise<number> {
  return inspect<number>(engine, 'image', tag, '.Size');
}

/** The image the Dockerfile's last stage (the runtime) is built FROM. */
export function runtimeBaseImage(): string {
  const froms = [...readFileSync(join(ROOT, 'Dockerfile'), 'utf8').matchAll(/^FROM\s+(\S+)/gim)].map((m) => m[1]!);
  return froms.at(-1)!;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(everyMs);
  }
}

/** GET a URL; the status, or undefined when nothing answers. */
export async function httpStatus(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return undefined;
  }
}

/**
 * Podman runs health checks from systemd timers, and this machine has no systemd: nothing would
 * ever run them, so a `depends_on: condition: service_healthy` would wait forever. This runs
 * `podman healthcheck run` for the given containers every `everyMs` until stopped (bounded by
 * `maxMs`), as the timers would. Docker runs them itself: there it does nothing.
 */
export function driveHealthchecks(engine: Engine, containers: () => Promise<string[]>, everyMs = 2000, maxMs = 600_000): { stop(): Promise<void> } {
  if (!/(^|\/)podman$/.test(engine.cmd)) return { stop: async () => undefined };
  let stopped = false;
  const deadline = Date.now() + maxMs;
  const loop = (async () => {
    while (!stopped && Date.now() < deadline) {
      const names = await containers().catch(() => []);
      await Promise.all(names.map((n) => run(engine.cmd, ['healthcheck', 'run', n], { timeoutMs: 30_000 }).catch(() => undefined)));
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** Removes containers by name, ignoring those that are gone. */
export async function removeContainers(engine: Engine, names: string[]): Promise<void> {
  for (const n of names) await run(engine.cmd, ['rm', '-f', '-t', '0', n]).catch(() => undefined);
}

export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * What the container wrote on stderr, without the engine's own complaints: podman without systemd
 * says on every `run` of an image with a HEALTHCHECK that it cannot set up the health-check timer.
 */
export function containerStderr(r: RunResult): string {
  return r.stderr.split('\n').filter((l) => !/^time="[^"]*" level=error msg="unable to get systemd connection to (add|start) healthchecks/.test(l)).join('\n');
}
