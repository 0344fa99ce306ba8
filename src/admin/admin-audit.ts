import type { Logger } from 'pino';
import type { EventFields, EventName } from '../observability/events.js';
import { logEvent } from '../observability/log-event.js';
import { scrubFreeText } from '../observability/mask.js';

type AdminEvent = Extract<EventName, `admin.${string}`> | 'order.requeued' | 'order.resolved';

/**
 * The log side of the audit trail: every operator action is one `admin.*` line in the daemon's
 * stream (API and console) or on the CLI's stderr, beside its row in the ledger. An operator's
 * free-text reason is stored as typed, but on its way into the log stream anything in it that
 * looks like a personnummer, e-mail or phone is masked: log pipelines are not where personal
 * data may end up, even by a slip of the keyboard.
 */
export class AdminAudit {
  constructor(readonly logger: Logger) {}

  log<N extends AdminEvent>(name: N, fields: EventFields<N>): void {
    const f = fields as Record<string, unknown>;
    logEvent(this.logger, name, (typeof f.reason === 'string' ? { ...f, reason: scrubFreeText(f.reason) } : f) as EventFields<N>);
  }
}
