import type { Config } from '../config/schema.js';
import { PORTALS, type Portal } from '../domain/canonical-order.js';
import { PartnerdError } from '../errors.js';
import { UNROUTED_TENANT, type OrderSelection } from '../ledger/ledger.js';
import { ORDER_STATES, type OrderState } from '../ledger/order-state.js';

/**
 * An operator's filter as typed (CLI flags, API query, console form) → the ledger's selection.
 * One reading for every door, so a typo is the same error everywhere: an unknown state lists the
 * valid ones, an unknown tenant or portal is refused rather than answered with nothing.
 */
export interface SelectionInput {
  /** One state, or several separated by commas; `review` selects confirmed orders under review. */
  state?: string | readonly string[];
  tenant?: string;
  portal?: string;
  /** ISO date (`2026-12-01`, Stockholm midnight is not assumed: UTC) or date-time. */
  since?: string;
  until?: string;
  /** Free lookup: order key, order number, BRP order number, invoice number or OCR. */
  q?: string;
}

/** The pseudo-state of the needs-attention view: confirmed, but BRP's 2xx could not be read. */
export const REVIEW = 'review';

/** What needs an operator: the needs-attention view. */
export const ATTENTION_STATES: readonly OrderState[] = ['in_doubt', 'dead', 'rejected', 'unroutable'];

export function parseStates(input: string | readonly string[] | undefined): { states: OrderState[]; review: boolean } {
  const parts = (typeof input === 'string' ? [input] : [...(input ?? [])]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  const states: OrderState[] = [];
  let review = false;
  for (const s of parts) {
    if (s === REVIEW) review = true;
    else if ((ORDER_STATES as readonly string[]).includes(s)) states.push(s as OrderState);
    else throw new PartnerdError('PD_INVALID_ARGUMENT', `unknown state ${JSON.stringify(s)} (valid: ${[...ORDER_STATES, REVIEW].join(', ')})`);
  }
  return { states: [...new Set(states)], review };
}

export function parseTenant(config: Config, tenant: string | undefined): string | undefined {
  if (tenant === undefined || tenant === '') return undefined;
  if (tenant === UNROUTED_TENANT || config.tenants[tenant]) return tenant;
  throw new PartnerdError('PD_UNKNOWN_TENANT', `${tenant} (configured: ${Object.keys(config.tenants).join(', ')}; ${UNROUTED_TENANT} for unroutable orders)`);
}

export function parsePortal(portal: string | undefined): Portal | undefined {
  if (portal === undefined || portal === '') return undefined;
  if ((PORTALS as readonly string[]).includes(portal)) return portal as Portal;
  throw new PartnerdError('PD_INVALID_ARGUMENT', `unknown portal ${JSON.stringify(portal)} (valid: ${PORTALS.join(', ')})`);
}

export function parseTime(text: string | undefined, flag: string): Date | undefined {
  if (text === undefined || text === '') return undefined;
  const ok = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text);
  const d = new Date(text.length === 10 ? `${text}T00:00:00Z` : text);
  if (!ok || Number.isNaN(d.getTime())) throw new PartnerdError('PD_INVALID_ARGUMENT', `${flag} must be a date (YYYY-MM-DD) or an ISO date-time`);
  return d;
}

export function parseSelection(config: Config, input: SelectionInput): OrderSelection {
  const { states, review } = parseStates(input.state);
  const since = parseTime(input.since, 'since');
  const until = parseTime(input.until, 'until');
  if (since && until && since >= until) throw new PartnerdError('PD_INVALID_ARGUMENT', 'since must be before until');
  const tenant = parseTenant(config, input.tenant);
  const portal = parsePortal(input.portal);
  const text = input.q?.trim();
  return {
    ...(states.length ? { states } : {}), ...(review ? { review } : {}), ...(tenant ? { tenant } : {}), ...(portal ? { portal } : {}),
    ...(since ? { since } : {}), ...(until ? { until } : {}), ...(text ? { text } : {}),
  };
}

/** Keyset cursor of a listing: the last row's (updatedAt, key), opaque to clients. */
export function encodeCursor(row: { updatedAt: string; key: string }): string {
  return Buffer.from(JSON.stringify([row.updatedAt, row.key]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): { updatedAt: string; key: string } | undefined {
  if (!cursor) return undefined;
  try {
    const [updatedAt, key] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof updatedAt === 'string' && typeof key === 'string' && !Number.isNaN(Date.parse(updatedAt))) return { updatedAt, key };
  } catch {
    // fall through
  }
  throw new PartnerdError('PD_INVALID_ARGUMENT', 'cursor is not one this listing gave out');
}
