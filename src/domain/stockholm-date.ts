/**
 * BRP dates and timestamps are Stockholm local time (CET/CEST). Portals send instants (often UTC),
 * so every instant goes through the IANA zone here; fixed offsets would be wrong half the year.
 */

const ZONE = 'Europe/Stockholm';

// One formatter, reused: constructing Intl formatters is comparatively expensive. h23 so midnight
// is "00", never "24".
const FORMATTER = new Intl.DateTimeFormat('en-US', {
  timeZone: ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

// RFC 3339 date-time with a mandatory offset. Date.parse is not used for strings: it accepts
// 2026-02-30, and reads an offset-less string as the server's local time, which differs per host.
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * A real calendar date written `YYYY-MM-DD`: "2028-02-29" is true, "2026-02-29" is false, and so
 * is any date in year 0000: there is no year 0 in XSD 1.0's xs:date (BRP's `startday`), so an
 * order with one passed validation and was refused by the schema, reported at `xml`.
 */
export function isIsoDate(text: string): boolean {
  if (typeof text !== 'string') return false;
  const m = ISO_DATE.exec(text);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

function parseInstant(text: string): Date {
  const m = ISO_INSTANT.exec(text);
  if (!m) throw new RangeError('not an ISO 8601 date-time with an offset (e.g. 2026-11-19T23:30:00Z)');
  const [year, month, day, hour, minute] = [1, 2, 3, 4, 5].map((i) => Number(m[i]));
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (!isIsoDate(`${m[1]}-${m[2]}-${m[3]}`) || hour! > 23 || minute! > 59 || second > 59) {
    throw new RangeError('date-time has an impossible date or time');
  }
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const [oh, om] = [Number(m[10]), Number(m[11])];
    if (oh > 23 || om > 59) throw new RangeError('date-time has an impossible offset');
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const utc = Date.UTC(year!, month! - 1, day!, hour!, minute!, second, millis);
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear puts them back.
  const date = new Date(utc);
  date.setUTCFullYear(year!);
  return new Date(date.getTime() - offsetMinutes * 60_000);
}

function toDate(instant: Date | string): Date {
  const date = typeof instant === 'string' ? parseInstant(instant) : instant;
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new RangeError('invalid date');
  return date;
}

interface LocalParts {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
}

/**
 * The last minute asked for: Stockholm's offset changes only on whole hours, so every instant of
 * one UTC minute has the same local parts, and orders come in runs within a minute. formatToParts
 * costs about 60 µs a call on the bench machine; intake asks for it with every order.
 */
let lastMinute: { minute: number; parts: LocalParts } | undefined;

function stockholmParts(instant: Date | string): LocalParts {
  const date = toDate(instant);
  const minute = Math.floor(date.getTime() / 60_000);
  if (lastMinute?.minute === minute) return lastMinute.parts;
  const parts = Object.freeze(localParts(date));
  lastMinute = { minute, parts };
  return parts;
}

function localParts(date: Date): LocalParts {
  const parts: Record<string, string> = {};
  for (const p of FORMATTER.formatToParts(date)) parts[p.type] = p.value;
  const year = Number(parts.year);
  // BRP's formats have four-digit years; anything else is a bug upstream, not a date to send.
  // (The UTC year check also catches BC years, which the formatter prints without a sign.)
  const utcYear = date.getUTCFullYear();
  if (!(year >= 1000 && year <= 9999) || utcYear < 999 || utcYear > 9999) {
    throw new RangeError('year outside 1000–9999');
  }
  return {
    year: String(year),
    month: parts.month ?? '',
    day: parts.day ?? '',
    hour: parts.hour ?? '',
    minute: parts.minute ?? '',
  };
}

/** The Stockholm calendar date of an instant, `YYYY-MM-DD`. Strings must carry an offset (or `Z`). */
export function stockholmDateOf(instant: Date | string): string {
  const p = stockholmParts(instant);
  return `${p.year}-${p.month}-${p.day}`;
}

/** BRP's "Tidpunkt": `yyyy-MM-dd HH:mm` in Stockholm local time. */
export function stockholmTimestamp(instant: Date | string): string {
  const p = stockholmParts(instant);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** Stockholm date and minute of one instant, for hot paths that need both (the simulator). */
export interface StockholmStamp {
  /** `yyyy-MM-dd` */
  date: string;
  /** `yyyy-MM-dd HH:mm` */
  minute: string;
}

export function stockholmStamp(at: Date): StockholmStamp {
  const minute = stockholmTimestamp(at);
  return { date: minute.slice(0, 10), minute };
}

/** Calendar arithmetic on a `yyyy-MM-dd` date (no time zone involved). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

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
