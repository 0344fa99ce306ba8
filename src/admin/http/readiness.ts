/**
 * Whether this process should be sent work (/readyz): every store answers within its bound, the
 * config is loaded, the workers run, and no shutdown has begun. Each check is named in the
 * answer, so a 503 says which one failed.
 */

/** A store the process needs, checked by a cheap round trip (Redis PING, `SELECT 1`). */
export interface StoreProbe {
  name: string;
  probe: () => Promise<void>;
}

export interface ReadinessSources {
  stores: readonly StoreProbe[];
  /** Where the config was read from; the listener only exists once it is loaded and valid. */
  configSource: string;
  workersRunning: () => boolean;
  shuttingDown: () => boolean;
  /** Bound on each store probe; default 1000 ms. */
  probeTimeoutMs?: number;
}

export interface CheckResult {
  ok: boolean;
  detail?: string;
}

export interface ReadinessReport {
  ready: boolean;
  /** The first failed check, e.g. `redis: no answer within 1000 ms`. */
  reason?: string;
  checks: Record<string, CheckResult>;
}

async function bounded(probe: () => Promise<void>, ms: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${ms} ms` }), ms);
  });
  try {
    return await Promise.race([
      probe().then((): CheckResult => ({ ok: true }), (err: unknown) => ({ ok: false, detail: describe(err) })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The error's code or class and message, bounded (probes never carry secrets in their errors). */
function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const text = [typeof e.code === 'string' ? e.code : undefined, typeof e.message === 'string' ? e.message : undefined].filter(Boolean).join(': ');
  return (text || String(err)).slice(0, 200);
}

export async function checkReadiness(sources: ReadinessSources): Promise<ReadinessReport> {
  const timeoutMs = sources.probeTimeoutMs ?? 1_000;
  const checks: Record<string, CheckResult> = {};
  checks.shutdown = sources.shuttingDown() ? { ok: false, detail: 'shutting down' } : { ok: true };
  checks.config = { ok: true, detail: sources.configSource };
  checks.workers = sources.workersRunning() ? { ok: true } : { ok: false, detail: 'workers are not running' };
  const stores = await Promise.all(sources.stores.map(async (s) => [s.name, await bounded(s.probe, timeoutMs)] as const));
  for (const [name, result] of stores) checks[name] = result;
  const failed = Object.entries(checks).find(([, r]) => !r.ok);
  return failed ? { ready: false, reason: `${failed[0]}: ${failed[1].detail ?? 'failed'}`, checks } : { ready: true, checks };
}
