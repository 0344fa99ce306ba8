import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { PartnerdError } from '../../errors.js';
import type { InvoiceFormat } from '../../finance/invoice-export.js';
import type { InvoiceExportRequest, InvoiceExports } from '../invoice-exports.js';
import type { Operator } from '../operator.js';

/**
 * The invoice export as a download (admin API `GET /api/invoices`, the console's Invoices page):
 * the same rows, columns and bytes as `partnerd export invoices`, streamed from the ledger's
 * cursor into the response with flat memory.
 *
 * A failure before the first byte (a bad range, an unknown tenant, the ledger unreachable, too
 * many exports at once) is an ordinary error answer. Once bytes have gone out the status is
 * sent: a failure then ends the response without its last chunk, so the client sees a broken
 * transfer rather than a file that looks complete. A client that goes away stops the export and
 * frees its database connection.
 */

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date written YYYY-MM-DD');
const flag = z.enum(['true', 'false', '1', '0', 'on', 'yes', 'no', '']).transform((v) => ['true', '1', 'on', 'yes'].includes(v));

export const invoiceDownloadQuery = z.object({
  from: day,
  to: day,
  portal: z.string().optional(),
  tenant: z.string().optional(),
  format: z.enum(['csv', 'jsonl']).default('csv'),
  excel: flag.optional(),
}).strict();

export type InvoiceDownloadQuery = z.input<typeof invoiceDownloadQuery>;

export function parseInvoiceDownload(query: unknown): InvoiceExportRequest {
  const r = invoiceDownloadQuery.safeParse(query ?? {});
  if (!r.success) throw new PartnerdError('PD_INVALID_ARGUMENT', r.error.issues.map((i) => `${i.path.join('.') || '(query)'}: ${i.message}`).join('; '));
  const q = r.data;
  return {
    from: q.from, to: q.to, format: q.format as InvoiceFormat, excel: q.excel ?? false,
    ...(q.portal ? { portal: q.portal } : {}), ...(q.tenant ? { tenant: q.tenant } : {}),
  };
}

/** `invoices_2026-11-01_2026-11-30[_portal][_tenant][_excel].csv|jsonl`: only characters safe in a header and a file name. */
export function invoiceFileName(request: InvoiceExportRequest): string {
  const parts = ['invoices', request.from, request.to, request.portal, request.tenant, request.excel ? 'excel' : undefined]
    .filter((p): p is string => typeof p === 'string' && p !== '')
    .map((p) => p.replace(/[^A-Za-z0-9._-]/g, '-'));
  return `${parts.join('_')}.${request.format === 'jsonl' ? 'jsonl' : 'csv'}`;
}

export async function sendInvoiceExport(reply: FastifyReply, invoices: InvoiceExports, op: Operator, request: InvoiceExportRequest): Promise<FastifyReply> {
  const body = new PassThrough();
  let gone = false;
  // A client that goes away: the export's pipeline is ended, its database connection freed.
  reply.raw.once('close', () => {
    if (reply.raw.writableFinished) return;
    gone = true;
    body.destroy(new Error('the client closed the download'));
  });
  const done = invoices.export(op, request, body, { clientGone: () => gone });
  // Until the first byte (or the end, for an empty JSON-lines export) a failure can still be
  // answered with its status and message.
  await Promise.race([once(body, 'readable'), done]);
  done.catch((err: unknown) => body.destroy(err instanceof Error ? err : new Error(String(err))));
  return reply
    .header('content-type', request.format === 'jsonl' ? 'application/x-ndjson; charset=utf-8' : 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${invoiceFileName(request)}"`)
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .send(body);
}
