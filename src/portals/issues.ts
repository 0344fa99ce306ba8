import type { FieldError } from '../domain/canonical-order.js';

/** Every problem found, in the order found; the same path + message is kept once. */
export class Issues {
  readonly errors: FieldError[] = [];
  readonly #seen = new Set<string>();

  add(path: string, message: string): undefined {
    const key = `${path}\u0000${message}`;
    if (!this.#seen.has(key)) {
      this.#seen.add(key);
      this.errors.push({ path, message });
    }
    return undefined;
  }

  get any(): boolean {
    return this.errors.length > 0;
  }
}
