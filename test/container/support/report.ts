import { addDays, stockholmDateOf } from '../../../src/domain/stockholm-date.js';

/** A start day `days` ahead, in Stockholm (BRP refuses start days in the past). */
export function futureDay(days: number): string {
  return addDays(stockholmDateOf(new Date()), days);
}

/**
 * Prints what a container test measured, as a table in the test output (CI's log keeps it). The
 * assertions on the measured goals are in the tests; this only reports the figures.
 */
export function report(title: string, figures: Record<string, string>): void {
  const entries = Object.entries(figures);
  if (entries.length === 0) return;
  const width = Math.max(...entries.map(([k]) => k.length));
  const lines = [`== ${title}`, ...entries.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)];
  console.log(lines.join('\n'));
}
