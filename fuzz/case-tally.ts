import assert from 'node:assert/strict';

/**
 * Counts what a property's cases came to, so a property about accepted orders cannot pass
 * vacuously: after the run, `atLeast('accepted', share)` fails when too few cases reached what the
 * property is about. Counts include the cases fast-check runs again while shrinking; they only
 * matter when the property held, and then there was no shrinking.
 */
export class CaseTally {
  readonly counts = new Map<string, number>();
  cases = 0;

  /** One case ran. */
  case(): void {
    this.cases++;
  }

  add(what: string, n = 1): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + n);
  }

  get(what: string): number {
    return this.counts.get(what) ?? 0;
  }

  /** At least `share` of the cases counted `what` (one per case at most is meant). */
  atLeast(what: string, share: number): void {
    const n = this.get(what);
    assert.ok(this.cases > 0 && n / this.cases >= share, `only ${n} of ${this.cases} cases counted ${what} (at least ${Math.round(share * 100)} % expected): the property barely saw what it is about`);
  }

  toString(): string {
    return `${this.cases} cases: ${[...this.counts].map(([k, v]) => `${k} ${v}`).join(', ')}`;
  }
}
