/**
 * Timestamp readers for log prefixes. Each reads at a given index, returns
 * epoch ms (NaN when the text there is not that shape) and leaves the index
 * after the timestamp in `end`. Hand-written over character codes: these run
 * once per log line, and Date parsing of strings is both slow and lenient in
 * ways we do not want (it accepts garbage).
 */

const MONTHS: Record<string, number> = {
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
};

function monthAt(text: string, i: number): number {
  if (i + 3 > text.length) return -1;
  // Lower-case by OR 0x20 only after checking letters, so digits/punctuation never alias.
  let key = '';
  for (let k = 0; k < 3; k++) {
    const c = text.charCodeAt(i + k);
    const isLetter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    if (!isLetter) return -1;
    key += String.fromCharCode(c | 0x20);
  }
  return MONTHS[key] ?? -1;
}

function digits(text: string, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = text.charCodeAt(i + k) - 0x30;
    if (!(c >= 0 && c <= 9)) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * Converts a local wall-clock time in an IANA zone to epoch ms. UTC is the
 * fast path; other zones cache the zone offset per local hour, which is exact
 * except inside a DST transition hour (resolved as the later offset).
 */
export class WallClock {
  readonly timeZone: string;
  private readonly utc: boolean;
  private readonly offsets = new Map<number, number>();
  private readonly formatter: Intl.DateTimeFormat | null;
  private dayYear = -1;
  private dayMonth = -1;
  private dayDay = -1;
  private dayStart = 0;

  constructor(timeZone = 'UTC') {
    this.timeZone = timeZone;
    this.utc = timeZone === 'UTC' || timeZone === 'Etc/UTC' || timeZone === 'Z';
    this.formatter = this.utc
      ? null
      : new Intl.DateTimeFormat('en-US', {
          timeZone,
          hourCycle: 'h23',
          year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
        });
  }

  toEpoch(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number {
    // Date.UTC per line is measurable on the hot path; lines come in date order, so remember the last midnight.
    if (year !== this.dayYear || month !== this.dayMonth || day !== this.dayDay) {
      this.dayYear = year;
      this.dayMonth = month;
      this.dayDay = day;
      this.dayStart = Date.UTC(year, month, day);
    }
    const asUtc = this.dayStart + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms;
    if (this.utc) return asUtc;
    const hourKey = Math.floor(asUtc / 3_600_000);
    let offset = this.offsets.get(hourKey);
    if (offset === undefined) {
      offset = this.offsetAt(asUtc - this.offsetAt(asUtc));
      if (this.offsets.size > 10_000) this.offsets.clear();
      this.offsets.set(hourKey, offset);
    }
    return asUtc - offset;
  }

  /** Zone offset (local − UTC, ms) at an instant. */
  private offsetAt(instant: number): number {
    const parts = this.formatter!.formatToParts(new Date(instant));
    const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
    const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
    return local - Math.floor(instant / 1000) * 1000;
  }
}

export class TimestampReader {
  /** Index just after the last timestamp read. */
  end = 0;
  private lastDateKey = '';
  private lastDay = 0;
  private lastMonth = 0;
  private lastYear = 0;

  constructor(readonly clock: WallClock, private readonly referenceYear: () => number = () => new Date().getUTCFullYear()) {}

  /** BIND: `22-Nov-2026 23:40:10.045` (day may be one digit; milliseconds optional). */
  bind(text: string, i: number): number {
    let p = i;
    let dayLen = 0;
    while (dayLen < 2 && isDigitAt(text, p + dayLen)) dayLen++;
    if (dayLen === 0 || text.charCodeAt(p + dayLen) !== 0x2d) return NaN;
    const dateEnd = p + dayLen + 9; // -Mon-YYYY
    if (text.charCodeAt(p + dayLen + 4) !== 0x2d) return NaN;
    // Consecutive lines share their date: compare in place rather than slicing a key per line.
    let day: number, month: number, year: number;
    if (this.lastDateKey.length === dateEnd - p && sameAt(text, p, this.lastDateKey)) {
      day = this.lastDay;
      month = this.lastMonth;
      year = this.lastYear;
    } else {
      day = digits(text, p, dayLen);
      month = monthAt(text, p + dayLen + 1);
      year = digits(text, p + dayLen + 5, 4);
      if (month < 0 || year < 0 || day < 1 || day > daysInMonth(year, month)) return NaN;
      this.lastDateKey = text.slice(p, dateEnd);
      this.lastDay = day;
      this.lastMonth = month;
      this.lastYear = year;
    }
    p = dateEnd;
    if (text.charCodeAt(p) !== 0x20) return NaN;
    return this.clockTime(text, p + 1, year, month, day);
  }

  /** ISO 8601 / RFC 3339: `2026-11-22T23:40:10.045Z`, `…+01:00`, or no zone (then the configured zone). A space may stand for `T`. */
  iso(text: string, i: number): number {
    const year = digits(text, i, 4);
    const month = digits(text, i + 5, 2);
    const day = digits(text, i + 8, 2);
    const sep = text.charCodeAt(i + 10);
    if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month - 1)) return NaN;
    if (text.charCodeAt(i + 4) !== 0x2d || text.charCodeAt(i + 7) !== 0x2d || (sep !== 0x54 && sep !== 0x20)) return NaN;
    if (!this.readClock(text, i + 11)) return NaN;
    const p = this.end;
    const z = text.charCodeAt(p);
    if (z === 0x5a) {
      this.end = p + 1;
      return Date.UTC(year, month - 1, day, this.hour, this.minute, this.second, this.ms);
    }
    if (z === 0x2b || z === 0x2d) {
      const hh = digits(text, p + 1, 2);
      const colon = text.charCodeAt(p + 3) === 0x3a ? 1 : 0;
      const mm = digits(text, p + 3 + colon, 2);
      if (hh < 0 || mm < 0) return NaN;
      this.end = p + 5 + colon;
      const sign = z === 0x2b ? 1 : -1;
      return Date.UTC(year, month - 1, day, this.hour, this.minute, this.second, this.ms) - sign * (hh * 60 + mm) * 60_000;
    }
    return this.clock.toEpoch(year, month - 1, day, this.hour, this.minute, this.second, this.ms);
  }

  /** RFC 3164 syslog: `Nov 22 23:40:10` (day space-padded); the year is not logged, so the reference year is used. */
  syslog(text: string, i: number): number {
    const month = monthAt(text, i);
    if (month < 0 || text.charCodeAt(i + 3) !== 0x20) return NaN;
    let p = i + 4;
    if (text.charCodeAt(p) === 0x20) p++;
    let dayLen = 0;
    while (dayLen < 2 && isDigitAt(text, p + dayLen)) dayLen++;
    const day = digits(text, p, dayLen);
    const year = this.referenceYear();
    if (dayLen === 0 || day < 1 || day > daysInMonth(year, month) || text.charCodeAt(p + dayLen) !== 0x20) return NaN;
    return this.clockTime(text, p + dayLen + 1, year, month, day);
  }

  private hour = 0;
  private minute = 0;
  private second = 0;
  private ms = 0;

  /** Reads `HH:MM:SS[.fff]` at i into the clock fields. */
  private readClock(text: string, i: number): boolean {
    const hour = digits(text, i, 2);
    const minute = digits(text, i + 3, 2);
    const second = digits(text, i + 6, 2);
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return false;
    if (text.charCodeAt(i + 2) !== 0x3a || text.charCodeAt(i + 5) !== 0x3a) return false;
    let p = i + 8;
    let ms = 0;
    if (text.charCodeAt(p) === 0x2e) {
      p++;
      let scale = 100;
      while (isDigitAt(text, p)) {
        if (scale >= 1) ms += (text.charCodeAt(p) - 0x30) * scale;
        scale /= 10;
        p++;
      }
    }
    this.hour = hour;
    this.minute = minute;
    this.second = second;
    this.ms = Math.floor(ms);
    this.end = p;
    return true;
  }

  /** `HH:MM:SS[.fff]` at i, combined with a date already read, in the configured zone. */
  private clockTime(text: string, i: number, year: number, month: number, day: number): number {
    if (!this.readClock(text, i)) return NaN;
    return this.clock.toEpoch(year, month, day, this.hour, this.minute, this.second, this.ms);
  }
}

/** Whether `text` holds `key` at index `at`. */
function sameAt(text: string, at: number, key: string): boolean {
  if (key.length === 0) return false;
  for (let k = 0; k < key.length; k++) if (text.charCodeAt(at + k) !== key.charCodeAt(k)) return false;
  return true;
}

/** month 0–11 */
function daysInMonth(year: number, month: number): number {
  if (month === 1) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 3 || month === 5 || month === 8 || month === 10 ? 30 : 31;
}

function isDigitAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= 0x30 && c <= 0x39;
}
