import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
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
}

/**
 * A private redis-server on a free port for one test file, so tests can kill or restart it
 * without touching anyone else's Redis. Nothing is persisted.
 */
export async function startRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let proc: ChildProcess | undefined;

  async function launch(): Promise<void> {
    proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], {
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
  };
}
