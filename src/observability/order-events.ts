import type { Logger } from 'pino';
import type { LedgerRecord, OrderOutcome } from '../ledger/ledger.js';
import type { OrderKey } from '../domain/canonical-order.js';

/**
 * The one structured line per outcome that dashboards count. It carries ids and money, never
 * personal data: the order key, BRP's numbers, the amount in öre and the due date.
 */
export type OrderEvent =
  | 'order.accepted'
  | 'order.duplicate'
  | 'order.confirmed'
  | 'order.confirmed_unparsed'
  | 'order.rejected'
  | 'order.retrying'
  | 'order.throttled'
  | 'order.in_doubt'
  | 'order.dead'
  | 'order.requeued'
  | 'order.resolved';

/**
 * Order events carry a fixed whitelist of ids and money (below), so pino's redaction — ~100
 * wildcard paths, by far the costliest part of a log call — has nothing to find in them and is
 * skipped for these lines only. Every other log line keeps it as the safety net.
 */
const eventLoggers = new WeakMap<Logger, Logger>();
function eventLogger(logger: Logger): Logger {
  let l = eventLoggers.get(logger);
  if (!l) {
    l = logger.child({}, { redact: [] });
    eventLoggers.set(logger, l);
  }
  return l;
}

export function logOrderEvent(
  logger: Logger,
  event: OrderEvent,
  key: OrderKey & { key?: string },
  outcome: OrderOutcome & { attempt?: number; state?: string; reason?: string; httpStatus?: number; durationMs?: number } = {},
): void {
  const level = event === 'order.dead' || event === 'order.in_doubt' || event === 'order.confirmed_unparsed' ? 'warn' : 'info';
  eventLogger(logger)[level](
    {
      event,
      tenant: key.tenant,
      portal: key.portal,
      ordernr: key.ordernr,
      state: outcome.state,
      attempt: outcome.attempt,
      brpOrderNumber: outcome.brpOrderNumber,
      invoiceNumber: outcome.invoiceNumber,
      ocr: outcome.ocr,
      amountOre: outcome.sumOre,
      dueDate: outcome.dueDate,
      httpStatus: outcome.httpStatus,
      durationMs: outcome.durationMs,
      brpErrorCode: outcome.brpError?.errors[0]?.code,
      reason: outcome.reason,
    },
    event,
  );
}

export function outcomeOf(record: LedgerRecord): OrderOutcome {
  const { brpOrderNumber, invoiceNumber, ocr, sumOre, dueDate } = record;
  return { brpOrderNumber, invoiceNumber, ocr, sumOre, dueDate };
}
