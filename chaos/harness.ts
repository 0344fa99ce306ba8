import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { configFromObject } from '../src/config/load-config.js';
import { createServices, type Services } from '../src/daemon/services.js';
import { isPartnerdError } from '../src/errors.js';
import { migrate } from '../src/ledger/migrations.js';
import type { OrderState } from '../src/ledger/order-state.js';
import type { FaultConfig } from '../src/simulator/index.js';
import { startPostgres, truncateLedger, type PrivatePostgres } from '../support/private-postgres.js';
import { freePort, startRedis, type PrivateRedis } from '../support/private-redis.js';
import { sampleOrderInput } from '../support/orders.js';
import { TEST_API_KEY, TEST_ERASURE_KEY, XSD_PATH } from '../support/pipeline.js';
import { readBrpRecord, startBrpProcess } from '../support/brp-process-control.js';
import { setTimeout as sleep } from 'node:timers/promises';
export { sleep };

/**
 * What a chaos scenario runs on: a private Redis and PostgreSQL, BRP (the simulator) in a
 * process of its own that logs every order it commits, daemons as real `partnerd run` processes,
 * and an intake in this process playing the portals. Everything is real; faults are real signals.
 */

const ROOT = resolve(import.meta.dirname, '..');

export interface Tally {
  scenario: string;
  orders: number;
  /** Orders intake answered "accepted" (a portal would have been told 202). */
  acknowledged: number;
  /** Orders intake refused (503: nothing promised, the portal resends). */
  refused: number;
  confirmed: number;
  rejected: number;
  dead: number;
  /** In doubt, split by whether BRP really created the order (BRP's own record). */
  inDoubt: { createdAtBrp: number; notCreated: number };
  /** Acknowledged orders missing from the ledger, or confirmed without a BRP order. */
  lost: number;
  /** BRP orders beyond one per order number: an employer invoiced twice. */
  duplicateAtBrp: number;
  /** Acknowledged orders still queued, retrying or submitting when the drain time ran out. */
  stuck: number;
  seconds: number;
  notes?: string;
  /** Scenarios with an outage: how the backlog drained once BRP was back, on BRP's clock. */
  drain?: { orders: number; seconds: number; shareOfLimit: number; maxInAnySecond: number; limit: number };
}

export interface DaemonProcess {
  readonly child: ChildProcess;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export class ChaosRig {
  readonly dir = mkdtempSync(join(tmpdir(), 'partnerd-chaos-'));
  private readonly ordersFile = join(this.dir, 'brp-orders.jsonl');
  private brp: ChildProcess | undefined;
  private brpPort = 0;
  private daemons = new Set<ChildProcess>();
  private services: Services | undefined;
  private configPath = '';
  readonly acknowledged: string[] = [];
  refused = 0;

  private constructor(readonly redis: PrivateRedis, readonly postgres: PrivatePostgres) {}

  static async start(): Promise<ChaosRig> {
    const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
    const rig = new ChaosRig(redis, postgres);
    await migrate({ url: postgres.url, poolSize: 2, connectTimeoutMs: 5_000, statementTimeoutMs: 30_000 }, pino({ level: 'warn' }));
    rig.brpPort = await freePort();
    return rig;
  }

  /** A clean slate for the next scenario: empty stores, BRP's record and the tallies reset. */
  async reset(tenant: Record<string, unknown> = {}, faults: FaultConfig = {}, ratePerSecond = 500): Promise<void> {
    this.ratePerSecond = ratePerSecond;
    await this.stopDaemons();
    await this.services?.close();
    this.services = undefined;
    await this.stopBrp('SIGKILL');
    const { Redis } = await import('ioredis');
    const r = new Redis(this.redis.url);
    await r.flushall();
    r.disconnect();
    await truncateLedger(this.postgres.url);
    rmSync(this.ordersFile, { force: true });
    this.acknowledged.length = 0;
    this.refused = 0;
    const raw = {
      database: { url: this.postgres.url, poolSize: 10, connectTimeoutMs: 2_000 },
      redis: { url: this.redis.url, prefix: 'chaos' },
      retention: { erasureKey: TEST_ERASURE_KEY },
      xsdPath: XSD_PATH,
      log: { level: 'info' },
      queue: { lockDurationMs: 3_000, maxStalledCount: 10, reconcileIntervalMs: 2_000 },
      shutdownGraceMs: 5_000,
      // Several daemons run at once (replicas): each admin listener on a port of its own.
      admin: { http: { port: 0 } },
      tenants: {
        t1: {
          baseUrl: `http://127.0.0.1:${this.brpPort}/t1/`, apiKey: '${CHAOS_API_KEY}',
          concurrency: 16, connections: 16, rateLimit: { max: this.ratePerSecond, durationMs: 1_000 },
          timeouts: { connectMs: 1_000, responseMs: 3_000 },
          retry: { attempts: 6, baseDelayMs: 200, maxDelayMs: 3_000, jitter: 0.2 },
          inDoubtPolicy: 'hold', authProbeIntervalMs: 1_000,
          // Probes back off to 10 s at most here, so a scenario ends soon after BRP is back.
          breaker: { failures: 5, timeouts: 3, probeIntervalMs: 500, maxProbeIntervalMs: 10_000 },
          ...tenant,
        },
      },
    };
    this.configPath = join(this.dir, 'partnerd.yaml');
    writeFileSync(this.configPath, stringify(raw));
    const config = configFromObject(raw, 'chaos', { CHAOS_API_KEY: TEST_API_KEY });
    this.services = await createServices(config, pino({ level: 'error' }, pino.destination(2)));
    await this.startBrp(faults);
  }

  // ---- BRP

  async startBrp(faults: FaultConfig = {}): Promise<void> {
    this.brp = await startBrpProcess({ port: this.brpPort, ordersFile: this.ordersFile, apiKey: TEST_API_KEY, faults });
  }

  /** BRP down: the process is gone, connections are refused. */
  async stopBrp(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.brp;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    p.kill('SIGCONT');
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await exited;
  }

  /** BRP hanging: the process is stopped; the kernel still accepts connections, nothing answers. */
  freezeBrp(): void { this.brp?.kill('SIGSTOP'); }
  thawBrp(): void { this.brp?.kill('SIGCONT'); }

  /** Orders BRP has committed so far, from its own record. */
  brpOrders(): Map<string, number> {
    const m = new Map<string, number>();
    for (const o of this.brpRecord()) m.set(o.ordernr, (m.get(o.ordernr) ?? 0) + 1);
    return m;
  }

  /**
   * BRP's record: each order it committed and when its request arrived (its own clock: what a
   * rate limit at its door counts), in order.
   */
  brpRecord(): Array<{ ordernr: string; at: number }> {
    return readBrpRecord(this.ordersFile).map((o) => ({ ordernr: o.ordernr, at: o.receivedAt }));
  }

  /** The tenant's rate limit in calls per second for the current scenario (reset sets it). */
  ratePerSecond = 500;

  brpOrderCount(): number {
    let n = 0;
    for (const c of this.brpOrders().values()) n += c;
    return n;
  }

  // ---- daemons

  async startDaemon(name = 'd'): Promise<DaemonProcess> {
    const logFile = join(this.dir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run'], {
      cwd: ROOT, stdio: ['ignore', fd, fd],
      env: { ...process.env, PARTNERD_CONFIG: this.configPath, CHAOS_API_KEY: TEST_API_KEY, LOG_LEVEL: 'info' },
    });
    closeSync(fd);
    this.daemons.add(child);
    child.once('exit', () => this.daemons.delete(child));
    const deadline = Date.now() + 60_000;
    while (!readFileSync(logFile, 'utf8').includes('"daemon.started"')) {
      if (child.exitCode !== null) throw new Error(`daemon ${name} exited at start (see ${logFile})`);
      if (Date.now() > deadline) throw new Error(`daemon ${name} did not start (see ${logFile})`);
      await sleep(50);
    }
    return {
      child,
      async kill(signal: NodeJS.Signals = 'SIGKILL') {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill(signal);
        await exited;
      },
    };
  }

  async stopDaemons(): Promise<void> {
    await Promise.all([...this.daemons].map((d) => new Promise<void>((r) => {
      if (d.exitCode !== null || d.signalCode !== null) return r();
      d.once('exit', () => r());
      d.kill('SIGTERM');
      setTimeout(() => d.kill('SIGKILL'), 15_000).unref();
    })));
  }

  // ---- the portals' side

  /** Submits orders `prefix-0…n-1` through the intake, `concurrency` at a time, as portals would. */
  async submit(prefix: string, n: number, concurrency = 8): Promise<void> {
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        try {
          const r = await this.services!.intake.accept(sampleOrderInput(`${prefix}-${String(i).padStart(5, '0')}`));
          if (r.status === 'accepted') this.acknowledged.push(r.key);
          else throw new Error(`order ${prefix}-${i}: ${r.status}`);
        } catch (err) {
          if (!isPartnerdError(err, 'PD_DATABASE_UNAVAILABLE')) throw err;
          this.refused++;
        }
      }
    }));
  }

  /** Waits until BRP has committed `n` orders (or the time is up). */
  async untilBrpOrders(n: number, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.brpOrderCount() < n) {
      if (Date.now() > deadline) throw new Error(`BRP did not reach ${n} orders (has ${this.brpOrderCount()})`);
      await sleep(20);
    }
  }

  /** Waits until every acknowledged order rests (or the time is up), then counts. */
  async tally(scenario: string, orders: number, startedAt: number, drainMs: number, notes?: string): Promise<Tally> {
    const ledger = this.services!.ledger;
    const live: OrderState[] = ['queued', 'retrying', 'submitting'];
    const deadline = Date.now() + drainMs;
    let states = new Map<string, OrderState | 'missing'>();
    for (;;) {
      states = new Map();
      for (const key of this.acknowledged) states.set(key, (await ledger.get(key))?.state ?? 'missing');
      if (![...states.values()].some((s) => live.includes(s as OrderState)) || Date.now() > deadline) break;
      await sleep(500);
    }
    const brp = this.brpOrders();
    const count = (s: string) => [...states.values()].filter((v) => v === s).length;
    let lost = 0;
    let createdInDoubt = 0;
    for (const [key, state] of states) {
      const ordernr = key.split(':')[2]!;
      if (state === 'missing' || (state === 'confirmed' && !brp.has(ordernr))) lost++;
      if (state === 'in_doubt' && brp.has(ordernr)) createdInDoubt++;
    }
    let duplicateAtBrp = 0;
    for (const n of brp.values()) duplicateAtBrp += Math.max(0, n - 1);
    return {
      scenario, orders, acknowledged: this.acknowledged.length, refused: this.refused,
      confirmed: count('confirmed'), rejected: count('rejected'), dead: count('dead'),
      inDoubt: { createdAtBrp: createdInDoubt, notCreated: count('in_doubt') - createdInDoubt },
      lost, duplicateAtBrp, stuck: [...states.values()].filter((s) => live.includes(s as OrderState)).length,
      seconds: Math.round((Date.now() - startedAt) / 100) / 10,
      ...(notes ? { notes } : {}),
    };
  }

  async close(): Promise<void> {
    await this.stopDaemons();
    await this.services?.close();
    await this.stopBrp('SIGKILL');
    await Promise.all([this.redis.stop(), this.postgres.destroy()]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
