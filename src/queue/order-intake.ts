import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { CanonicalOrder, FieldError } from '../domain/canonical-order.js';
import { validateOrder } from '../domain/validate-order.js';
import type { OrderDocumentFactory } from '../brp/order-document.js';
import type { Ledger } from '../ledger/ledger.js';
import type { OrderState } from '../ledger/order-state.js';
import { logOrderEvent } from '../observability/order-events.js';
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
    const reg = await this.ledger.register(order, proven.proof, { xml: proven.xml });
    if (reg.created) {
      await this.queues.enqueue(reg.key, order);
      logOrderEvent(this.logger, 'order.accepted', order, { state: 'queued' });
      return { status: 'accepted', key: reg.key };
    }
    // A crash between recording the key and adding its job leaves a queued record without a job:
    // a redelivery repairs it (the job id is the key's, so this adds nothing when the job exists).
    if (reg.state === 'queued' && reg.existingKey === reg.key) await this.queues.enqueue(reg.key, order);
    logOrderEvent(this.logger, 'order.duplicate', order, { state: reg.state });
    return { status: 'duplicate', key: reg.existingKey, state: reg.state };
  }
}
