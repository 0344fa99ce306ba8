import type { Portal } from '../src/domain/canonical-order.js';
import type { LedgerRecord } from '../src/ledger/ledger.js';
import type { AllPortalsRig, HttpAnswer } from '../test/helpers/all-portals.js';

/**
 * What one payload does to real intake, the same way for every portal: every text that went back
 * out (the HTTP answer, the S&P errors file, the poll summary, the messages stored with the
 * orders, which the notifier and the receipts send on), and which orders were queued for BRP.
 */
export interface IngestOutcome {
  /** [what, text] of everything intake produced that a person or a portal may read. */
  outputs: Array<[string, string]>;
  /** Orders newly queued for BRP (accepted: not unroutable, not refused, not duplicates). */
  queued: number;
  /** The payload could not be read at all (S&P file rejected whole, pull page unusable). */
  unreadable: boolean;
  /** Push portals: the HTTP answer itself. */
  answer?: HttpAnswer;
}

export async function ingestPayload(rig: AllPortalsRig, portal: Portal, bytes: Uint8Array): Promise<IngestOutcome> {
  switch (portal) {
    case 'benify': {
      const r = await rig.sendBenify(bytes);
      const key = r.status === 202 ? (JSON.parse(r.text) as { key: string }).key : undefined;
      return { outputs: [['HTTP answer', `${r.status} ${JSON.stringify(r.headers)} ${r.text}`]], queued: key !== undefined && !key.startsWith('~:') ? 1 : 0, unreadable: false, answer: r };
    }
    case 'actiway': {
      const r = await rig.sendActiway(bytes);
      const orderId = r.status === 202 ? /orderId="([^"]*)"/.exec(r.text)?.[1] : undefined;
      const key = orderId === undefined ? undefined : await rig.p.services.ledger.keyForPortalOrder('actiway', unescapeXml(orderId));
      return { outputs: [['HTTP answer', `${r.status} ${JSON.stringify(r.headers)} ${r.text}`]], queued: key !== undefined && !key.startsWith('~:') ? 1 : 0, unreadable: false, answer: r };
    }
    case 'sop': {
      const { summary, errorsFile } = await rig.sendSop(`fuzz-${Date.now()}.csv`, bytes);
      return {
        outputs: [['file summary', JSON.stringify(summary)], ['rejected/*.errors.csv', errorsFile ?? '']],
        queued: summary.accepted,
        unreadable: summary.outcome === 'rejected',
      };
    }
    case 'wellnet':
    case 'epassi': {
      const summary = portal === 'wellnet' ? await rig.sendWellnetPage(bytes) : await rig.sendEpassiPage(bytes);
      return { outputs: [['poll summary', JSON.stringify(summary)]], queued: summary.accepted, unreadable: summary.outcome === 'backoff' };
    }
  }
}

/** Whether the portal's order `ordernr` was queued for BRP, and the messages stored with it. */
export async function ledgerVerdict(rig: AllPortalsRig, portal: Portal, ordernr: string): Promise<{ queued: boolean; messages: string }> {
  const key = await rig.p.services.ledger.keyForPortalOrder(portal, ordernr);
  const rec: LedgerRecord | undefined = key === undefined ? undefined : await rig.p.services.ledger.get(key);
  if (!rec) return { queued: false, messages: '' };
  const queued = rec.state !== 'unroutable' && !(rec.state === 'rejected' && rec.rejectedBy === 'partnerd');
  return { queued, messages: JSON.stringify([rec.unroutableReason, rec.brpError, rec.lastError]) };
}

function unescapeXml(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
