import type { FieldError } from '../../domain/canonical-order.js';
import type { PortalIntake } from '../portal-intake.js';
import type { PortalOrder } from '../../portals/portal-order.js';
import type { AdapterResult } from '../../portals/portal-order.js';

/**
 * What a pushed order comes to, whatever the portal's format: the adapter's verdict, then the
 * intake's. The routes only translate this into their portal's status codes and bodies.
 *
 * - `accepted`: durably stored and queued. An unroutable order (venue or article not in the
 *   configuration) is accepted too: it is stored durably with its reason, an operator re-routes
 *   it once the configuration is fixed, and the portal must not resend it (a 4xx would make it
 *   give up or retry forever; neither helps, the order is already kept).
 * - `duplicate`: this order id was received before; nothing new was queued.
 * - `invalid`: not stored; every problem in the portal's own field paths. Push portals are told
 *   400 and resend a fixed order, so invalid orders are not recorded (`recordInvalid: false`).
 * - `unavailable`: Redis did not acknowledge; nothing was promised, the portal retries.
 */
export type PushOutcome =
  | { kind: 'accepted'; key: string; ordernr: string; unroutable: boolean }
  | { kind: 'duplicate'; key: string; ordernr: string }
  | { kind: 'invalid'; errors: FieldError[]; ordernr?: string }
  | { kind: 'unavailable'; ordernr: string; reason: string };

export async function ingestPushed(intake: Pick<PortalIntake, 'ingest'>, adapted: AdapterResult, now: Date, requestId?: string): Promise<PushOutcome> {
  if (!adapted.ok) return { kind: 'invalid', errors: adapted.errors, ...(adapted.ordernr !== undefined ? { ordernr: adapted.ordernr } : {}) };
  const order: PortalOrder = adapted.order;
  const ordernr = order.ordernr;
  let result;
  try {
    result = await intake.ingest(order, { recordInvalid: false, now, ...(requestId !== undefined ? { requestId } : {}) });
  } catch (err) {
    // The intake only throws when Redis (or a script in it) failed: the code, never the message.
    const code = (err as { code?: unknown; name?: unknown }).code ?? (err as { name?: unknown }).name;
    return { kind: 'unavailable', ordernr, reason: typeof code === 'string' ? code : 'intake failed' };
  }
  switch (result.status) {
    case 'accepted':
      return { kind: 'accepted', key: result.key, ordernr, unroutable: false };
    case 'unroutable':
      return { kind: 'accepted', key: result.key, ordernr, unroutable: true };
    case 'duplicate':
      return { kind: 'duplicate', key: result.key, ordernr };
    case 'invalid':
    case 'rejected': // only with recordInvalid; a push portal is told 400 either way
      return { kind: 'invalid', errors: result.errors, ordernr };
  }
}
