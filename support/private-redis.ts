import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** A free TCP port on loopback (the OS picks it; we release it just before use). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** Stops it cleanly (SHUTDOWN NOSAVE). */
  stop(): Promise<void>;
  /** SIGKILL: the way a crash looks. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: it keeps nothing on disk). */
  restart(): Promise<void>;
  /** SIGSTOP: connections stay open and nothing answers (a hung server, a dead network path). */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
}

/**
 * A private redis-server on a free port for one test file, so tests can kill or restart it
 * without touching anyone else's Redis. Nothing is persisted.
 */
export async function startRedis(extraArgs: string[] = []): Promise<PrivateRedis> {
  const port = await freePort();
  let proc: ChildProcess | undefined;

  async function launch(): Promise<void> {
    proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', ...extraArgs], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    proc.once('error', (err) => { throw new Error(`cannot start redis-server (is it installed?): ${err.message}`); });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => undefined); // expected while the server starts
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async function waitExit(p: ChildProcess | undefined): Promise<void> {
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((r) => p.once('exit', () => r()));
  }

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      const p = proc;
      p?.kill('SIGTERM');
      await waitExit(p);
    },
    async kill() {
      const p = proc;
      p?.kill('SIGKILL');
      await waitExit(p);
    },
    async restart() {
      await launch();
    },
    freeze() {
      proc?.kill('SIGSTOP');
    },
    thaw() {
      proc?.kill('SIGCONT');
    },
  };
}

export interface SentinelGroup {
  /** The master's name the sentinels watch. */
  name: string;
  sentinels: Array<{ host: string; port: number }>;
  primary: PrivateRedis;
  replica: PrivateRedis;
  /** Where the sentinels say the master is now (`host:port`). */
  master(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A Redis primary, one replica and three sentinels (quorum 2, a master is down after 1 s), all
 * private processes on free ports: Redis high availability as production runs it, small.
 */
export async function startSentinelGroup(name = 'partnerd'): Promise<SentinelGroup> {
  const primary = await startRedis();
  const replica = await startRedis(['--replicaof', '127.0.0.1', String(primary.port)]);
  const dir = mkdtempSync(join(tmpdir(), 'partnerd-sentinel-'));
  const procs: ChildProcess[] = [];
  const sentinels: Array<{ host: string; port: number }> = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const conf = join(dir, `sentinel-${port}.conf`);
    writeFileSync(conf, [
      `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${primary.port} 2`,
      `sentinel down-after-milliseconds ${name} 1000`,
      `sentinel failover-timeout ${name} 5000`,
      `sentinel parallel-syncs ${name} 1`,
    ].join('\n'));
    procs.push(spawn('redis-server', [conf, '--sentinel'], { stdio: ['ignore', 'ignore', 'inherit'] }));
    sentinels.push({ host: '127.0.0.1', port });
  }
  const ask = async (): Promise<string> => {
    for (const s of sentinels) {
      const c = new Redis({ host: s.host, port: s.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => undefined);
      try {
        await c.connect();
        const addr = (await c.call('SENTINEL', 'get-master-addr-by-name', name)) as [string, string] | null;
        if (addr) return `${addr[0]}:${addr[1]}`;
      } catch {
        // this sentinel is not up yet
      } finally {
        c.disconnect();
      }
    }
    return '';
  };
  const deadline = Date.now() + 15_000;
  while ((await ask()) !== `127.0.0.1:${primary.port}`) {
    if (Date.now() > deadline) throw new Error('the sentinels did not come up');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name, sentinels, primary, replica, master: ask,
    async stop() {
      for (const p of procs) p.kill('SIGKILL');
      await Promise.all([primary.kill(), replica.kill()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
