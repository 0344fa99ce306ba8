import type { Logger } from 'pino';
import type { OrderDocumentFactory } from '../brp/order-document.js';
import type { Config } from '../config/schema.js';
import type { CanonicalOrder, FieldError } from '../domain/canonical-order.js';
import { validateOrder } from '../domain/validate-order.js';
import { PartnerdError } from '../errors.js';
import { UNROUTED_TENANT, type Ledger } from '../ledger/ledger.js';
import type { OrderState } from '../ledger/order-state.js';
import { logEvent } from '../observability/log-event.js';
import type { PortalOrder } from '../portals/portal-order.js';
import type { OrderIntake } from '../queue/order-intake.js';
import type { CommitEffects } from '../queue/commit-effects.js';
import { routePortalOrder, type RouteResult } from './router.js';

export type PortalIntakeResult =
  /** Stored: the ledger committed it (its job follows, or the reconciler adds it). */
  | { status: 'accepted'; key: string }
  /** This portal order is known already; nothing new was queued. */
  | { status: 'duplicate'; key: string; state: OrderState | 'missing' }
  /** Stored, but its venue or an article is not configured: kept until re-routed. */
  | { status: 'unroutable'; key: string; reason: string }
  /** Not stored: every problem, in the portal's own field paths. */
  | { status: 'invalid'; errors: FieldError[] }
  /** Stored as rejected (pull portals, which cannot be answered 400): the portal is told. */
  | { status: 'rejected'; key: string; errors: FieldError[] };

export interface IngestOptions {
  /**
   * Push portals get 400 and resend a fixed order, so an invalid one is not stored. Pull portals
   * cannot be answered: their invalid orders are recorded as rejected and the portal is told.
   */
  recordInvalid?: boolean;
  now?: Date;
  /** The push request the order came with: its order.* line carries it, to correlate with `ingest.request`. */
  requestId?: string;
}

/**
 * Where every portal path (push, pull, file) hands its orders: duplicate check on the portal's
 * order id → routing → shared validation → XSD proof → ledger record → BullMQ job. It returns only
 * after the ledger has committed the record (see OrderIntake for what that promises).
 */
export class PortalIntake {
  constructor(
    private readonly config: Config,
    private readonly ledger: Ledger,
    private readonly documents: OrderDocumentFactory,
    /** Where validated orders are recorded and queued (shared with the CLI's submit). */
    private readonly intake: OrderIntake,
    private readonly logger: Logger,
  ) {}

  /** The same intake on another ledger (one transaction) whose effects wait for its commit. */
  withLedger(ledger: Ledger, effects: CommitEffects): PortalIntake {
    return new PortalIntake(this.config, ledger, this.documents, this.intake.withLedger(ledger, effects), this.logger);
  }

  /** Runs `fn` once what this intake recorded is committed (at once outside a transaction). */
  afterCommit(fn: () => void): void {
    this.intake.effects.afterCommit(fn);
  }

  async ingest(order: PortalOrder, options: IngestOptions = {}): Promise<PortalIntakeResult> {
    const now = options.now ?? new Date();
    const { requestId } = options;
    // Fast path for redeliveries (register checks again, atomically).
    const known = await this.ledger.keyForPortalOrder(order.portal, order.ordernr);
    if (known) return this.intake.duplicate(known, order, undefined, { requestId });

    const route = routePortalOrder(order, this.config);
    if (!route.ok) {
      const reg = await this.ledger.registerUnroutable(order.portal, order.ordernr, order, route.reason, now);
      if (!reg.created) return this.intake.duplicate(reg.existingKey, order, reg.state, { requestId });
      this.afterCommit(() => logEvent(this.logger, 'order.unroutable', { tenant: UNROUTED_TENANT, portal: order.portal, ordernr: order.ordernr, reason: route.reason, requestId }));
      return { status: 'unroutable', key: reg.key, reason: route.reason };
    }

    const checked = checkRoutedOrder(this.config, this.documents, order, route, now);
    if (!checked.ok) {
      const { errors } = checked;
      if (!options.recordInvalid) return { status: 'invalid', errors };
      const reg = await this.ledger.registerRejected(route.tenant, order, errors, now);
      if (!reg.created) return this.intake.duplicate(reg.existingKey, order, reg.state, { requestId });
      this.afterCommit(() => logEvent(this.logger, 'order.rejected', { tenant: route.tenant, portal: order.portal, ordernr: order.ordernr, reason: 'invalid order', requestId }));
      return { status: 'rejected', key: reg.key, errors };
    }

    return this.intake.submitProven(checked.order, checked, { now, requestId });
  }

  /**
   * Routes an unroutable order again with the current configuration (after an operator fixed a
   * venue or article mapping). Still unroutable → the reason is updated; routable → it continues
   * under its tenant's key (the portal's order-id index moves with it) and is queued. A portal
   * order that was routed but found invalid (rejected under its `~` key, the portal order kept)
   * can be routed again the same way, e.g. after a tenant's personnummer form was corrected.
   * `by`: the operator and reason for the audit trail (default: the daemon itself).
   */
  async reroute(unroutableKey: string, now = new Date(), by: { actor?: string; reason?: string } = {}): Promise<PortalIntakeResult> {
    const rec = await this.ledger.get(unroutableKey);
    if (!rec) throw new PartnerdError('PD_UNKNOWN_ORDER', unroutableKey);
    const from = rec.state;
    if ((from !== 'unroutable' && from !== 'rejected') || !rec.portalOrder || !Array.isArray((rec.portalOrder as { lines?: unknown }).lines)) {
      throw new PartnerdError(
        'PD_ILLEGAL_TRANSITION',
        from === 'unroutable' || from === 'rejected'
          ? `${unroutableKey} is ${from} without a stored portal order to route again (only orders kept as unroutable have one); correct it with amend`
          : `${unroutableKey} is ${from}, not unroutable/rejected`,
      );
    }
    const note = (detail: string) => ({ action: 'reroute', detail, ...(by.actor ? { actor: by.actor } : {}), ...(by.reason ? { reason: by.reason } : {}) });
    const order = rec.portalOrder as PortalOrder;
    const route = routePortalOrder(order, this.config);
    if (!route.ok) {
      await this.ledger.transition(unroutableKey, [from], 'unroutable', note(`still unroutable: ${route.reason}`), { unroutableReason: route.reason }, { now });
      return { status: 'unroutable', key: unroutableKey, reason: route.reason };
    }
    // A pull order the adapter could not read was kept as a stub with its adapter errors: those,
    // not the empty stub's, are why it is invalid.
    const adapterErrors = (rec.portalOrder as { adapterErrors?: FieldError[] }).adapterErrors;
    const checked = adapterErrors?.length
      ? { ok: false as const, errors: adapterErrors }
      : checkRoutedOrder(this.config, this.documents, order, route, now);
    if (!checked.ok) {
      const brpError = { errors: checked.errors.map((e) => ({ message: e.path ? `${e.path}: ${e.message}` : e.message })) };
      await this.ledger.transition(unroutableKey, [from], 'rejected', note('routed, but invalid'), { brpError }, { now });
      return { status: 'rejected', key: unroutableKey, errors: checked.errors };
    }
    // Accepted now, or by an earlier reroute that died before this transition (a duplicate):
    // either way the order continues under that key.
    const submitted = await this.intake.submitProven(checked.order, checked, { replaceIndexFrom: unroutableKey, now });
    await this.ledger.transition(unroutableKey, [from], 'rerouted', note(`routed to ${submitted.key}`), { routedTo: submitted.key }, { now, dropPortalOrder: true });
    return submitted;
  }
}

/**
 * Shared validation of a routed portal order and the XSD proof of its document; problems in the
 * portal's own field paths. Used by the intake and by `partnerd render <portal>`.
 */
export function checkRoutedOrder(
  config: Config,
  documents: OrderDocumentFactory,
  order: PortalOrder,
  route: Extract<RouteResult, { ok: true }>,
  now: Date,
): { ok: true; order: CanonicalOrder; proof: string; xml: string } | { ok: false; errors: FieldError[] } {
  const tenant = config.tenants[route.tenant]!;
  const checked = validateOrder(route.input, { personnummerForm: tenant.personnummerForm, now });
  if (!checked.ok) return { ok: false, errors: portalErrors(checked.errors, order, route.itemLine) };
  const proven = documents.prove(checked.order);
  return proven.ok ? { ok: true, order: checked.order, proof: proven.proof, xml: proven.xml } : proven;
}

/**
 * Problems found by the shared validation, told in the portal's own terms: canonical item k goes
 * back to the portal line it came from, and each path through the adapter's fieldPaths.
 */
export function portalErrors(errors: FieldError[], order: PortalOrder, itemLine: number[]): FieldError[] {
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const e of errors) {
    let path = e.path;
    const item = /^items\[(\d+)\](.*)$/.exec(path);
    if (item) {
      const line = itemLine[Number(item[1])] ?? Number(item[1]);
      const field = item[2]!.replace(/^\.productNumber/, '.articleCode');
      path = `lines[${line}]${field}`;
    }
    const mapped = lookupPath(order.fieldPaths, path);
    const key = `${mapped}\u0000${e.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path: mapped, message: e.message });
  }
  return out;
}

function lookupPath(paths: Record<string, string>, path: string): string {
  if (paths[path] !== undefined) return paths[path]!;
  // `person.address` when the adapter mapped `person.address.street`…: the longest known prefix.
  let best: string | undefined;
  for (const k of Object.keys(paths)) {
    if ((path.startsWith(`${k}.`) || path.startsWith(`${k}[`)) && (!best || k.length > best.length)) best = k;
  }
  return best ? paths[best]! + path.slice(best.length) : path;
}
