import { PartnerdError } from '../errors.js';

/**
 * Who acts, and through which door: every operator verb takes one, and the audit trail and the
 * `admin.*` log line carry both. CLI: `--actor` or the OS user; API and console: the name of the
 * bearer token that authenticated the request.
 */
export interface Operator {
  actor: string;
  via: 'cli' | 'api' | 'console';
}

/** Actor names are short labels (token names, OS users): no free text in the audit's actor column. */
const ACTOR = /^[\p{L}\p{N}._@-]{1,64}$/u;

export function operator(actor: string, via: Operator['via']): Operator {
  if (!ACTOR.test(actor)) throw new PartnerdError('PD_INVALID_ARGUMENT', 'the actor must be 1–64 letters, digits, ".", "_", "@" or "-"');
  return { actor, via };
}

/** Reasons are stored and shown as typed; a bound keeps the audit table and the log lines sane. */
export const MAX_REASON_LENGTH = 500;

/** The reason an action needs (resolve, amend, an in-doubt re-queue): required, trimmed, bounded. */
export function requireReason(reason: string | undefined, what: string): string {
  const r = optionalReason(reason);
  if (!r) throw new PartnerdError('PD_INVALID_ARGUMENT', `${what} needs a reason (--reason, or "reason" in the request)`);
  return r;
}

export function optionalReason(reason: string | undefined): string | undefined {
  const r = reason?.trim();
  if (!r) return undefined;
  if (r.length > MAX_REASON_LENGTH) throw new PartnerdError('PD_INVALID_ARGUMENT', `the reason is longer than ${MAX_REASON_LENGTH} characters`);
  return r;
}
