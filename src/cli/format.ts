import type { OrderDetail, OrderSummary } from '../admin/order-view.js';
import type { HistoryEntry } from '../ledger/ledger.js';

/**
 * How the CLI prints what operators look at: a table with a header for listings, a readable page
 * for one order (SEK amounts, the unroutable reason, the review flag, the audit trail). `--json`
 * prints the same data as JSON instead.
 */

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export function ordersTable(orders: OrderSummary[]): string {
  return table(
    ['UPDATED', 'STATE', 'KEY', 'BRP ORDER', 'INVOICE', 'OCR', 'AMOUNT', 'NOTE'],
    orders.map((o) => [
      o.updatedAt.replace('T', ' ').slice(0, 19), o.needsReview ? 'confirmed*' : o.state, o.key, o.brpOrderNumber ?? '-', o.invoiceNumber ?? '-',
      o.ocr ?? '-', o.sum ?? '-', note(o),
    ]),
  );
}

function note(o: OrderSummary): string {
  if (o.needsReview) return `review: ${o.review}`;
  if (o.state === 'unroutable') return o.unroutableReason ?? '';
  if (o.state === 'rerouted') return `→ ${o.routedTo ?? '?'}`;
  return o.brpError ?? o.lastError ?? '';
}

export function orderPage(d: OrderDetail): string {
  const out: string[] = [];
  const row = (label: string, value: string | number | undefined) => { if (value !== undefined && value !== '') out.push(`${label.padEnd(18)}${value}`); };
  row('order', d.key);
  row('state', d.state + (d.needsReview ? '  (REVIEW: BRP\'s numbers missing; record them with resolve)' : ''));
  row('received', d.receivedAt);
  row('last change', d.updatedAt);
  row('attempts', d.attempts);
  row('BRP order', d.brpOrderNumber);
  row('invoice', d.invoiceNumber);
  row('OCR', d.ocr);
  row('invoice date', d.invoiceDate);
  row('due date', d.dueDate);
  row('amount', d.sum);
  row('  excl. VAT', d.sumExVat);
  for (const v of d.vatSums ?? []) row(`  VAT ${v.ratePercent} %`, v.amount);
  row('invoice total', d.invoiceTotal);
  row('review', d.review);
  row('BRP error', d.brpError);
  row('last error', d.lastError);
  row('unroutable', d.unroutableReason);
  if (d.routing) row('routing refs', `venue ${d.routing.venueRef ?? '?'}; articles ${d.routing.articleCodes.join(', ') || '-'}`);
  row('continues as', d.routedTo);
  row('refused by', d.rejectedBy);
  row('portal told', d.notifiedAt ?? d.notifyLastError);
  if (d.order) {
    const o = d.order;
    row('business unit', o.businessUnit);
    row('organisation', `${o.organization.number} ${o.organization.name}`);
    row('person', [o.person.name, o.person.personnummer, o.person.email, ...Object.values(o.person.phones ?? {}), o.person.city].filter(Boolean).join(', '));
    for (const [i, item] of o.items.entries()) row(i === 0 ? 'items' : '', `${item.productNumber} from ${item.startDay}, ${item.price}${item.renew ? ', renews' : ''}`);
  }
  const can = Object.entries(d.actions).filter(([, v]) => v).map(([k]) => k);
  row('actions', can.join(', ') || 'none');
  out.push('', 'history (BRP calls and actions, oldest first):');
  out.push(...(d.history.length ? d.history.map(historyLine) : ['  (none)']));
  return out.join('\n');
}

export function historyLine(e: HistoryEntry): string {
  if (e.kind === 'attempt') {
    return `  ${e.startedAt}  attempt ${e.n}: ${e.class}${e.httpStatus ? ` HTTP ${e.httpStatus}` : ''}${e.durationMs !== undefined ? ` in ${e.durationMs} ms` : ''}${e.detail ? ` (${e.detail})` : ''}`;
  }
  const move = e.fromState || e.toState ? ` ${e.fromState ?? '?'} → ${e.toState ?? '?'}` : '';
  return `  ${e.at}  ${e.action} by ${e.actor}:${move}${e.reason ? `, reason: ${e.reason}` : ''}${e.detail ? ` (${e.detail})` : ''}`;
}
