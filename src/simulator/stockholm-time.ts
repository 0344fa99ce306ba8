/**
 * BRP's data formats are Stockholm local time (CET/CEST): dates `yyyy-MM-dd`, timestamps
 * `yyyy-MM-dd HH:mm`. The formatter is built once; building one per call costs far more than
 * using it.
 */

const FORMATTER = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Stockholm',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

export interface StockholmStamp {
  /** `yyyy-MM-dd` */
  date: string;
  /** `yyyy-MM-dd HH:mm` */
  minute: string;
}

let cachedMinute = Number.NaN;
let cached: StockholmStamp = { date: '', minute: '' };

/** Stockholm date and minute of an instant (cached per UTC minute: Stockholm's offsets are whole hours). The result is frozen. */
export function stockholmStamp(at: Date): StockholmStamp {
  const minute = Math.floor(at.getTime() / 60_000);
  if (minute === cachedMinute) return cached;
  const p: Record<string, string> = {};
  for (const part of FORMATTER.formatToParts(at)) p[part.type] = part.value;
  const date = `${p.year}-${p.month}-${p.day}`;
  cached = Object.freeze({ date, minute: `${date} ${p.hour}:${p.minute}` });
  cachedMinute = minute;
  return cached;
}

/** Calendar arithmetic on a `yyyy-MM-dd` date (no time zone involved). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}
