import { isIsoDate, stockholmDateOf, stockholmTimestamp } from '../../domain/stockholm-date.js';

/**
 * A Stockholm calendar day as an instant range [start, end): from local midnight to the next
 * local midnight. A day is 23 or 25 hours long when the clocks change (last Sunday of March and
 * of October); midnight itself always exists in Stockholm (the change happens at 02:00/03:00).
 */
export function stockholmDayBounds(day: string): { start: Date; end: Date } {
  if (!isIsoDate(day)) throw new RangeError('day must be a real date written YYYY-MM-DD');
  return { start: stockholmMidnight(day), end: stockholmMidnight(addDays(day, 1)) };
}

/** The Stockholm date before the one `now` falls on: the day a daily 06:00 run reports. */
export function previousStockholmDay(now: Date = new Date()): string {
  return addDays(stockholmDateOf(now), -1);
}

/** Calendar arithmetic on `YYYY-MM-DD` (no time zone involved). */
export function addDays(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return t.toISOString().slice(0, 10);
}

function stockholmMidnight(day: string): Date {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const utcMidnight = Date.UTC(y, m - 1, d);
  // Stockholm is UTC+1 in winter and UTC+2 in summer: one of the two is local midnight.
  for (const offsetHours of [1, 2]) {
    const candidate = new Date(utcMidnight - offsetHours * 3_600_000);
    if (stockholmTimestamp(candidate) === `${day} 00:00`) return candidate;
  }
  throw new RangeError(`no Stockholm midnight found for ${day}`);
}
