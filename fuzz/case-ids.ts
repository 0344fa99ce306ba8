import type { HostileCase } from './arbitraries/hostile-payloads.js';
import { orderCount } from './arbitraries/hostile-payloads.js';

const base = Date.now().toString(36);
let runs = 0;

/**
 * Order ids no earlier run of this process used (shrinking runs a case again: it must not meet
 * its own earlier orders as duplicates). Each ends in 0, so a case that turns an id's last digit
 * (a "typo") makes an id no other order of the case has.
 */
export function freshOrderIds(c: HostileCase): string[] {
  runs++;
  return Array.from({ length: orderCount(c) }, (_, k) => `FZ${base}${runs}-${k}0`);
}
