import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { CanonicalOrder, FieldError } from '../domain/canonical-order.js';
import { parseOrderKey } from '../domain/canonical-order.js';
import { validateOrder } from '../domain/validate-order.js';
import type { OrderDocumentFactory } from '../brp/order-document.js';
import type { Ledger } from '../ledger/ledger.js';
import type { OrderState } from '../ledger/order-state.js';
import { logEvent } from '../observability/log-event.js';
import type { CommitEffects } from './commit-effects.js';

export type IntakeResult =
  | { status: 'accepted'; key: string }
  | { status: 'duplicate'; key: string; state: OrderState | 'missing' }
  | { status: 'invalid'; errors: FieldError[] };

/**
 * The single door into the pipeline, shared by the CLI and every ingest path:
 * validate → prove the XML passes the XSD → record the key in the ledger (exactly-once) → job.
 *
 * `accepted` means the ledger (PostgreSQL) has committed the order: it will be sent. Adding its
 * BullMQ job is the next step, but not part of the promise: if Redis is unavailable the order is
 * still accepted and the reconciler adds the job once Redis is back. If the ledger is unavailable
 * the call throws (PD_DATABASE_UNAVAILABLE) and nothing was promised.
 */
export class OrderIntake {
  constructor(
    private readonly config: Config,
    private readonly ledger: Ledger,
    /** Jobs and accepted-lines: at once, or after the commit of the transaction `ledger` is in. */
    readonly effects: CommitEffects,
    private readonly documents: OrderDocumentFactory,
    private readonly logger: Logger,
  ) {}

  /** The same door on another ledger (one transaction) whose effects wait for its commit. */
  withLedger(ledger: Ledger, effects: CommitEffects): OrderIntake {
    return new OrderIntake(this.config, ledger, effects, this.documents, this.logger);
  }

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
   * OrderDocumentFactory.prove) and hands its job on; every intake path ends here.
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
      this.effects.afterCommit(() => logEvent(this.logger, 'order.accepted', { tenant: order.tenant, portal: order.portal, ordernr: order.ordernr, state: 'queued', requestId }));
      await this.dispatch(reg.key, order.tenant);
      return { status: 'accepted', key: reg.key };
    }
    return this.duplicate(reg.existingKey, order, reg.state, { requestId });
  }

  /**
   * Answers a redelivery. An order recorded while Redis was down (or by a process that died
   * before adding its job) is queued without a job: the redelivery adds it (the job id is the
   * key's, so this adds nothing when the job exists).
   */
  async duplicate(
    key: string,
    order: Pick<CanonicalOrder, 'portal' | 'ordernr'>,
    state?: OrderState | 'missing',
    options: { requestId?: string } = {},
  ): Promise<{ status: 'duplicate'; key: string; state: OrderState | 'missing' }> {
    const s = state ?? (await this.ledger.get(key))?.state ?? 'missing';
    const tenant = parseOrderKey(key)?.tenant ?? '';
    if (s === 'queued' && this.config.tenants[tenant]) await this.dispatch(key, tenant);
    logEvent(this.logger, 'order.duplicate', { tenant, portal: order.portal, ordernr: order.ordernr, state: s, requestId: options.requestId });
    return { status: 'duplicate', key, state: s };
  }

  /** The job, best effort: the order is committed already, and the reconciler repairs a miss. */
  private async dispatch(key: string, tenant: string): Promise<void> {
    try {
      await this.effects.enqueue(key, tenant);
    } catch (err) {
      const p = parseOrderKey(key);
      logEvent(this.logger, 'order.enqueue_deferred', { tenant, portal: p?.portal ?? '', ordernr: p?.ordernr ?? '', reason: (err as { code?: string }).code ?? (err as Error).name });
    }
  }
}
