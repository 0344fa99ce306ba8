import { listSopInbox } from '../ingest/file-drop/sop-file-drop.js';
import { portalStatus, type PortalStatus } from '../portal-clients/portal-state.js';
import { PULL_PORTALS } from '../portal-clients/portal-http.js';
import type { OrderState } from '../ledger/order-state.js';
import type { PauseInfo } from '../queue/tenant-pause.js';
import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import type { Ledger } from '../ledger/ledger.js';
import type { TenantPause } from '../queue/tenant-pause.js';
import type { TenantQueues } from '../queue/tenant-queues.js';
import { PORTALS } from '../domain/canonical-order.js';

/**
 * What runs and what waits, for `partnerd status`, `GET /api/status` and the console's overview:
 * orders per state; each tenant's queue and pause; each configured portal (pull portals: stopped
 * polling or notifying, the last successful poll, the cursor, a back-off); the outcomes Wellnet
 * and Epassi must still be told; the files waiting in S&P's inbox.
 */
export interface SystemStatus {
  orders: Record<OrderState, number>;
  tenants: Array<{ tenant: string; paused: PauseInfo | null; jobs: Record<string, number> }>;
  portals: Array<{ portal: string; transport: 'push' | 'pull' | 'file' } & Partial<Omit<PortalStatus, 'portal'>>>;
  notifyBacklog: Array<{ portal: string; count: number }>;
  /** S&P only, when configured: complete files waiting in the inbox. */
  sopInbox?: { files: number; oldest?: string } | { error: string };
}

/**
 * `orders`: how to count orders per state; the default counts them now (a read of the whole
 * table on a big ledger), the console's overview passes the counts it has already.
 */
/** What the status needs (the daemon's Services has all of it). */
export interface SystemStatusServices {
  config: Config;
  ledger: Ledger;
  redis: Redis;
  queues: TenantQueues;
  pause: TenantPause;
}

export async function systemStatus(services: SystemStatusServices, options: { orders?: () => Promise<Record<OrderState, number>> } = {}): Promise<SystemStatus> {
  const { config, ledger, queues, pause } = services;
  const configured = PORTALS.filter((p) => config.portals[p] !== undefined);
  const [orders, tenants, portals, notifyBacklog, sopInbox] = await Promise.all([
    options.orders ? options.orders() : ledger.countByState(),
    Promise.all(Object.keys(config.tenants).map(async (tenant) => ({
      tenant,
      paused: (await pause.info(tenant)) ?? null,
      jobs: await queues.get(tenant).getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed'),
    }))),
    Promise.all(configured.map(async (portal) => {
      if ((PULL_PORTALS as readonly string[]).includes(portal)) {
        const { portal: _p, ...state } = await portalStatus(services, portal as (typeof PULL_PORTALS)[number]);
        return { portal, transport: 'pull' as const, ...state };
      }
      return { portal, transport: portal === 'sop' ? ('file' as const) : ('push' as const) };
    })),
    ledger.notifyBacklogByPortal(),
    config.portals.sop ? inbox(config.portals.sop.root) : Promise.resolve(undefined),
  ]);
  return { orders, tenants, portals, notifyBacklog, ...(sopInbox ? { sopInbox } : {}) };
}

async function inbox(root: string): Promise<SystemStatus['sopInbox']> {
  try {
    const files = await listSopInbox(root);
    return { files: files.length, ...(files[0] ? { oldest: files[0] } : {}) };
  } catch (err) {
    return { error: `inbox not readable (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
}
