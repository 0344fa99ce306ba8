import type { Portal } from '../domain/canonical-order.js';
import { actiwayAdapter } from './actiway.js';
import { benifyAdapter } from './benify.js';
import { epassiAdapter } from './epassi.js';
import type { AdapterResult, PortalAdapter } from './portal-order.js';
import { sopAdapter } from './sop.js';
import { wellnetAdapter } from './wellnet.js';

/**
 * Every portal's adapter, keyed by portal. Adding a sixth portal: its adapter module, its name in
 * PORTALS (domain/canonical-order.ts), and one line here; the `satisfies` clause makes a missing
 * or mislabelled entry a compile error.
 */
export const PORTAL_ADAPTERS = {
  benify: benifyAdapter,
  actiway: actiwayAdapter,
  wellnet: wellnetAdapter,
  epassi: epassiAdapter,
  sop: sopAdapter,
} as const satisfies { readonly [P in Portal]: PortalAdapter<never> & { readonly portal: P } };

export type PortalAdapters = typeof PORTAL_ADAPTERS;

/** What each portal's adapter reads: `string` for Actiway's XML, `SopPayload` for S&P, parsed JSON (`unknown`) for the rest. */
export type PortalPayload<P extends Portal> = Parameters<PortalAdapters[P]['toPortalOrder']>[0];

export function adapterFor<P extends Portal>(portal: P): PortalAdapters[P] {
  return PORTAL_ADAPTERS[portal];
}

/**
 * Dispatch when the portal is only known at run time (a stored raw payload). Safe for any payload:
 * every adapter checks the shape of what it gets (Actiway: a string; S&P: rows) and reports a
 * wrong one as an error instead of throwing.
 */
export function toPortalOrder(portal: Portal, payload: unknown, now: Date): AdapterResult {
  return (PORTAL_ADAPTERS[portal] as PortalAdapter<unknown>).toPortalOrder(payload, now);
}
