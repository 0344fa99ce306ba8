import mergePatch from 'json-merge-patch';
import { PartnerdError } from '../errors.js';
import { isObject } from '../domain/plain-object.js';

/**
 * An operator's correction of an order, as an RFC 7396 JSON merge patch over the stored order
 * (json-merge-patch): the console shows the order masked, so the operator types only what
 * changes, and personal data that stays the same is never shown or retyped.
 */
export function applyOrderPatch(stored: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw new PartnerdError('PD_INVALID_ARGUMENT', 'the correction must be a JSON object (a merge patch: only the fields that change)');
  }
  return mergePatch.apply(structuredClone(stored), patch);
}

/**
 * Which fields differ between two versions of an order, as paths (`items[0].productNumber`,
 * `person.email`), never their values: the audit row of an amendment says what was corrected
 * without copying personal data into the trail. Objects are compared through json-merge-patch's
 * `generate`; arrays (which a merge patch replaces whole) element by element.
 */
export function changedPaths(before: unknown, after: unknown, prefix = ''): string[] {
  if (Array.isArray(before) && Array.isArray(after)) {
    const out: string[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) out.push(...changedPaths(before[i], after[i], `${prefix}[${i}]`));
    return out;
  }
  if (isObject(before) && isObject(after)) {
    const patch = mergePatch.generate(before, after) as Record<string, unknown> | undefined;
    if (!patch) return [];
    return Object.keys(patch).sort().flatMap((k) => changedPaths(before[k], after[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [prefix || '(order)'];
}
