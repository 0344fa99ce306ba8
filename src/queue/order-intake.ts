import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { CanonicalOrder, FieldError } from '../domain/canonical-order.js';
import { validateOrder } from '../domain/validate-order.js';
import type { OrderDocumentFactory } from '../brp/order-document.js';
import type { Ledger } from '../ledger/ledger.js';
import type { OrderState } from '../ledger/order-state.js';
import { logEvent } from '../observability/log-event.js';
import type { TenantQueues } from './tenant-queues.js';

export type IntakeResult =
  | { status: 'accepted'; key: string }
  | { status: 'duplicate'; key: string; state: OrderState | 'missing' }
  | { status: 'invalid'; errors: FieldError[] };

/**
 * The single door into the pipeline, shared by the CLI and every ingest path:
 * validate → prove the XML passes the XSD → record the key (exactly-once) → enqueue.
 * When it returns `accepted`, the order is durably in Redis and its job is queued.
 */
export class OrderIntake {
  constructor(
    private readonly config: Config,
    private readonly ledger: Ledger,
    private readonly queues: TenantQueues,
    private readonly documents: OrderDocumentFactory,
    private readonly logger: Logger,
  ) {}

  /** Validates raw (un-normalised) canonical input, then submits it. */
  async accept(input: unknown, now = new Date()): Promise<IntakeResult> {
    const tenantName = (input as { tenant?: unknown } | null)?.tenant;
    const tenant = typeof tenantName === 'string' ? this.config.tenants[tenantName] : undefined;
    if (!tenant) {
      const errors: FieldError[] = [{ path: 'tenant', message: typeof tenantName === 'string' ? 'no tenant with this name is configured' : 'required' }];
      // Still report every other problem, validated with the default form.
      const rest = validateOrder(input, { personnummerForm: 'short', now });
      if (!rest.ok) errors.push(...rest.errors.filter((e) => e.path !== 'tenant'));
      return { status: 'invalid', errors };
    }
    const result = validateOrder(input, { personnummerForm: tenant.personnummerForm, now });
    if (!result.ok) return { status: 'invalid', errors: result.errors };
    return this.submit(result.order);
  }

  /** Submits an already validated canonical order. */
  async submit(order: CanonicalOrder): Promise<IntakeResult> {
    if (!this.config.tenants[order.tenant]) return { status: 'invalid', errors: [{ path: 'tenant', message: 'no tenant with this name is configured' }] };
    const proven = this.documents.prove(order);
    if (!proven.ok) return { status: 'invalid', errors: proven.errors };
    return this.submitProven(order, proven);
  }

  /**
   * Records a validated order whose document passed the XSD (`proof`, `xml` from
   * OrderDocumentFactory.prove) and queues its job; every intake path ends here.
   * `replaceIndexFrom`: a re-routed unroutable order takes over its portal order id.
   */
  async submitProven(
    order: CanonicalOrder,
    proven: { proof: string; xml: string },
    options: { now?: Date; replaceIndexFrom?: string; /** The push request it came with (logged on its order.* line). */ requestId?: string } = {},
  ): Promise<Extract<IntakeResult, { status: 'accepted' | 'duplicate' }>> {
    const { requestId, ...registerOptions } = options;
    const reg = await this.ledger.register(order, proven.proof, { ...registerOptions, xml: proven.xml });
    if (reg.created) {
      await this.queues.enqueue(reg.key, order);
      logEvent(this.logger, 'order.accepted', { tenant: order.tenant, portal: order.portal, ordernr: order.ordernr, state: 'queued', requestId });
      return { status: 'accepted', key: reg.key };
    }
    return this.duplicate(reg.existingKey, order, reg.state, { requestId });
  }

  /**
   * Answers a redelivery. A crash between recording an order and adding its job leaves a queued
   * record without a job: the redelivery repairs it from the stored payload (the job id is the
   * key's, so this adds nothing when the job exists).
   */
  async duplicate(
    key: string,
    order: Pick<CanonicalOrder, 'portal' | 'ordernr'>,
    state?: OrderState | 'missing',
    options: { requestId?: string } = {},
  ): Promise<{ status: 'duplicate'; key: string; state: OrderState | 'missing' }> {
    let s = state ?? (await this.ledger.get(key))?.state ?? 'missing';
    if (s === 'queued') {
      const rec = await this.ledger.get(key);
      if (rec?.state === 'queued' && rec.payload) await this.queues.enqueue(key, rec.payload);
      s = rec?.state ?? s;
    }
    logEvent(this.logger, 'order.duplicate', { tenant: key.split(':')[0] ?? '', portal: order.portal, ordernr: order.ordernr, state: s, requestId: options.requestId });
    return { status: 'duplicate', key, state: s };
  }
}
