import type { Logger } from 'pino';
import type { BrpClient } from '../brp/brp-client.js';
import type { Config } from '../config/schema.js';
import { logEvent } from '../observability/log-event.js';
import { probeDelay } from './tenant-breaker.js';
import type { TenantPause } from './tenant-pause.js';

/**
 * Asks the BRP of every held tenant whether it is back, and resumes the tenant when it is. The
 * probe is an empty `<order/>`, which BRP refuses on schema grounds: it can never create an
 * order. An answer (other than 401/403) resumes the tenant; 401/403 turns an `unreachable` hold
 * into an `auth` one; no answer waits longer each time for an unreachable BRP (probeDelay) and
 * the fixed `authProbeIntervalMs` for a refused key.
 */
export class TenantProber {
  private readonly next = new Map<string, { at: number; failed: number }>();

  constructor(
    private readonly config: Config,
    private readonly pause: Pick<TenantPause, 'info' | 'pause' | 'resume'>,
    private readonly clients: ReadonlyMap<string, Pick<BrpClient, 'probeAuth'>>,
    private readonly logger: Logger,
  ) {}

  /** How often `runOnce` should run: the shortest first interval of any tenant. */
  tickMs(): number {
    const intervals = Object.values(this.config.tenants).flatMap((t) => [t.authProbeIntervalMs, t.breaker.probeIntervalMs]);
    return Math.max(100, Math.min(1_000, ...intervals));
  }

  async runOnce(now = Date.now()): Promise<void> {
    for (const tenant of Object.values(this.config.tenants)) {
      const held = await this.pause.info(tenant.name);
      if (!held) {
        this.next.delete(tenant.name);
        continue;
      }
      // The first probe one interval after the hold began (in whichever replica held it).
      const first = (Date.parse(held.since) || now) + (held.kind === 'auth' ? tenant.authProbeIntervalMs : tenant.breaker.probeIntervalMs);
      const due = this.next.get(tenant.name) ?? { at: first, failed: 0 };
      if (now < due.at) continue;
      const verdict = await this.clients.get(tenant.name)!.probeAuth();
      logEvent(this.logger, 'tenant.probe', { tenant: tenant.name, verdict, kind: held.kind });
      if (verdict === 'accepted') {
        this.next.delete(tenant.name);
        await this.pause.resume(tenant.name, 'probe');
        continue;
      }
      if (verdict === 'refused' && held.kind === 'unreachable') {
        await this.pause.pause(tenant.name, { kind: 'auth', reason: 'BRP refused the probe (401/403)' });
      }
      const failed = due.failed + 1;
      const wait = (verdict === 'refused' || held.kind === 'auth')
        ? tenant.authProbeIntervalMs
        : probeDelay(failed, tenant.breaker.probeIntervalMs, tenant.breaker.maxProbeIntervalMs);
      this.next.set(tenant.name, { at: now + wait, failed });
    }
  }
}
