import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import type { FieldError } from '../../src/domain/canonical-order.js';
import type { AdapterResult, PortalOrder } from '../../src/portals/portal-order.js';

export const NOW = new Date('2026-11-20T12:00:00Z');

export function orderOf(result: AdapterResult): PortalOrder {
  assert.ok(result.ok, `expected an order, got ${JSON.stringify(result.ok ? '' : result.errors)}`);
  return result.order;
}

export function errorsOf(result: AdapterResult): FieldError[] {
  assert.equal(result.ok, false, 'expected the payload to be rejected');
  return result.ok ? [] : result.errors;
}

export const pathsOf = (errors: FieldError[]) => errors.map((e) => e.path);

/** The one error at `path` (fails if there is none or more than one). */
export function errorAt(errors: FieldError[], path: string): string {
  const hits = errors.filter((e) => e.path === path);
  assert.equal(hits.length, 1, `expected one error at ${path}, got ${JSON.stringify(errors)}`);
  return hits[0]!.message;
}

/** Error messages never echo personal data. */
export function assertNoPersonalData(errors: FieldError[], values: readonly string[]): void {
  for (const e of errors) {
    for (const v of values) assert.ok(!e.message.includes(v), `message at ${e.path} echoes a personal value: ${e.message}`);
  }
}

/** A contract example from examples/portals/ (line ends as LF, no trailing newline: as the tests were written). */
export function contractExample(name: string): string {
  return readFileSync(new URL(`../../examples/portals/${name}`, import.meta.url), 'utf8').replace(/\r\n/g, '\n').replace(/\n+$/, '');
}
