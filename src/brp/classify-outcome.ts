import type { BrpExchange } from './brp-exchange.js';
import { parseBrpResponse, type BrpConfirmation, type BrpError } from './brp-response.js';

/**
 * The decision table of the spine: what BRP's answer (or its absence) means for the order.
 * Pure, so every row is unit-tested; the worker only carries out what it says.
 */
export type Outcome =
  /** BRP created the order and we read its confirmation. */
  | { class: 'confirmed'; status: number; confirmation: BrpConfirmation }
  /** BRP answered 2xx but we cannot read it: created all the same, never resend, flag for review. */
  | { class: 'confirmed_unparsed'; status: number; reason: string; rawBody: string }
  /** BRP refused the order with <errors>: no retry. */
  | { class: 'rejected'; status: number; errors: BrpError[] }
  /** 401/403: the tenant's key or IP allow-list is wrong. Pause the tenant, burn no attempt. */
  | { class: 'auth_failed'; status: number; errors: BrpError[] }
  /** 429, or 503 with Retry-After: BRP asks us to wait this long. */
  | { class: 'throttled'; status: number; retryAfterMs: number | undefined }
  /** Nothing was created: retry with back-off. */
  | { class: 'transient'; status?: number; reason: string }
  /** The request left us and no answer came back: BRP may have created the order. */
  | { class: 'in_doubt'; reason: string };

export function classifyOutcome(exchange: BrpExchange): Outcome {
  if (exchange.kind === 'failure') {
    return exchange.phase === 'before-send'
      ? { class: 'transient', reason: exchange.code }
      : { class: 'in_doubt', reason: exchange.code };
  }
  const { status } = exchange;

  if (status >= 200 && status < 300) {
    if (exchange.bodyError) return { class: 'confirmed_unparsed', status, reason: `body not received (${exchange.bodyError})`, rawBody: '' };
    const parsed = parseBrpResponse(exchange.body);
    if (parsed.kind === 'confirmation') return { class: 'confirmed', status, confirmation: parsed.confirmation };
    const reason = parsed.kind === 'errors' ? '2xx carrying <errors>' : parsed.reason;
    return { class: 'confirmed_unparsed', status, reason, rawBody: exchange.body };
  }

  if (status === 401 || status === 403) {
    const parsed = parseBrpResponse(exchange.body);
    return { class: 'auth_failed', status, errors: parsed.kind === 'errors' ? parsed.errors : [] };
  }
  if (status === 429 || (status === 503 && exchange.retryAfterMs !== undefined)) {
    return { class: 'throttled', status, retryAfterMs: exchange.retryAfterMs };
  }
  if (status >= 500) return { class: 'transient', status, reason: `HTTP ${status}` };
  if (status === 408) return { class: 'transient', status, reason: 'HTTP 408' };

  if (status >= 400) {
    const parsed = parseBrpResponse(exchange.body);
    if (parsed.kind === 'errors') return { class: 'rejected', status, errors: parsed.errors };
    // A 4xx without BRP's <errors> is a proxy or a wrong base URL talking, not BRP judging the
    // order: keep trying (it ends dead and re-queueable rather than wrongly rejected).
    return { class: 'transient', status, reason: `HTTP ${status} without BRP <errors>` };
  }
  return { class: 'transient', status, reason: `unexpected HTTP ${status}` };
}
