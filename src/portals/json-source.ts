import { textValue, type TextSource } from './field-rules.js';
import { Issues } from './issues.js';
import { isObject } from '../domain/plain-object.js';

/**
 * Reads a parsed JSON payload by dot/bracket path (`employee.address.street`, `lines[0].priceInclVat.amount`).
 * A missing or mistyped object on the way is reported once, at its own path (`employee` is
 * required / must be an object), not once per field below it. `null` and absent are the same.
 */
export class JsonSource implements TextSource {
  readonly issues: Issues;
  readonly #root: unknown;

  constructor(payload: unknown, issues: Issues = new Issues()) {
    this.issues = issues;
    this.#root = payload;
    if (!isObject(payload)) issues.add('', 'must be a JSON object');
  }

  /** The raw value at `path`; undefined for absent/null (recorded when required) or a broken path. */
  value(path: string, required: boolean): unknown {
    if (!isObject(this.#root)) return undefined;
    const steps = parsePath(path);
    let current: unknown = this.#root;
    let at = '';
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      const last = i === steps.length - 1;
      let next: unknown;
      if (typeof step === 'number') {
        if (!Array.isArray(current)) return this.issues.add(at, 'must be an array');
        next = current[step];
        at = `${at}[${step}]`;
      } else {
        if (!isObject(current)) return this.issues.add(at, 'must be an object');
        next = Object.hasOwn(current, step) ? current[step] : undefined;
        at = at === '' ? step : `${at}.${step}`;
      }
      // A null in a list is a broken element, not an absent field (objects() reports it the same way).
      if (typeof step === 'number' && next === null && !last) return this.issues.add(at, 'must be an object');
      if (next === undefined || next === null) return required ? this.issues.add(at, 'is required') : undefined;
      if (last) return next;
      current = next;
    }
    return undefined;
  }

  text(path: string, required: boolean): string | undefined {
    const value = this.value(path, required);
    return value === undefined ? undefined : textValue(this.issues, path, value, required);
  }

  /** A JSON number that is a safe integer (a string of digits is not one). */
  integer(path: string, required: boolean): number | undefined {
    const value = this.value(path, required);
    if (value === undefined) return undefined;
    return typeof value === 'number' && Number.isSafeInteger(value) ? value : this.issues.add(path, 'must be an integer');
  }

  boolean(path: string, required: boolean): boolean | undefined {
    const value = this.value(path, required);
    if (value === undefined) return undefined;
    return typeof value === 'boolean' ? value : this.issues.add(path, 'must be true or false');
  }

  /**
   * An array of objects with `min`–`max` elements: returns how many can be read as `path[i]`
   * (0 when it is absent or wrong). An element that is not an object is reported at `path[i]`.
   */
  objects(path: string, bounds: { min: number; max: number }): number {
    const value = this.value(path, bounds.min > 0);
    if (value === undefined) return 0;
    if (!Array.isArray(value)) return this.issues.add(path, 'must be an array') ?? 0;
    if (value.length < bounds.min) return this.issues.add(path, `must have at least ${bounds.min} element${bounds.min === 1 ? '' : 's'}`) ?? 0;
    if (value.length > bounds.max) return this.issues.add(path, `must have at most ${bounds.max} elements`) ?? 0;
    value.forEach((element, i) => {
      if (!isObject(element)) this.issues.add(`${path}[${i}]`, 'must be an object');
    });
    return value.length;
  }
}

const STEP = /([^.[\]]+)|\[(\d+)\]/g;

/** `lines[0].priceInclVat.amount` → ['lines', 0, 'priceInclVat', 'amount']. */
function parsePath(path: string): Array<string | number> {
  const steps: Array<string | number> = [];
  for (const m of path.matchAll(STEP)) steps.push(m[2] === undefined ? m[1]! : Number(m[2]));
  return steps;
}
