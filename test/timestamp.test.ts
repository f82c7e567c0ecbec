/**
 * Log timestamp readers (src/parsers/timestamp.ts): BIND's own, ISO 8601 /
 * RFC 3339, RFC 3164 syslog, and local wall-clock time in an IANA zone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TimestampReader, WallClock } from '../src/parsers/timestamp.js';

const utc = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): number => Date.UTC(y, mo - 1, d, h, mi, s, ms);

function reader(timeZone = 'UTC', year = 2026): TimestampReader {
  return new TimestampReader(new WallClock(timeZone), () => year);
}

test('BIND: dd-Mon-yyyy hh:mm:ss.mmm, and the index after it', () => {
  const t = reader();
  assert.equal(t.bind('22-Nov-2026 23:40:10.045 client', 0), utc(2026, 11, 22, 23, 40, 10, 45));
  assert.equal(t.end, 24);
  // read at an offset
  assert.equal(t.bind('ns1: 23-Nov-2026 13:45:41.531 x', 5), utc(2026, 11, 23, 13, 45, 41, 531));
  assert.equal(t.end, 29);
});

test('BIND: one-digit day, milliseconds optional', () => {
  const t = reader();
  assert.equal(t.bind('2-Nov-2026 03:04:05.006 x', 0), utc(2026, 11, 2, 3, 4, 5, 6));
  assert.equal(t.end, 23);
  assert.equal(t.bind('22-Nov-2026 23:40:10 client', 0), utc(2026, 11, 22, 23, 40, 10));
  assert.equal(t.end, 20);
  assert.equal(t.bind('01-Jan-2027 00:00:00.000', 0), utc(2027, 1, 1, 0, 0, 0));
});

test('BIND: every month name', () => {
  const t = reader();
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  months.forEach((m, i) => assert.equal(t.bind(`15-${m}-2026 12:00:00.000`, 0), utc(2026, i + 1, 15, 12, 0, 0), m));
});

test('BIND: bad month, day, hour, minute, shape', () => {
  const t = reader();
  assert.ok(Number.isNaN(t.bind('31-Foo-2026 13:42:35.159', 0)));
  assert.ok(Number.isNaN(t.bind('22-N0v-2026 13:42:35.159', 0)));
  assert.ok(Number.isNaN(t.bind('32-Nov-2026 13:42:35.159', 0)));
  assert.ok(Number.isNaN(t.bind('0-Nov-2026 13:42:35.159', 0)));
  assert.ok(Number.isNaN(t.bind('22-Nov-2026 24:00:00.000', 0)));
  assert.ok(Number.isNaN(t.bind('22-Nov-2026 23:60:00.000', 0)));
  assert.ok(Number.isNaN(t.bind('22-Nov-2026 25:61:61.999', 0)));
  assert.ok(Number.isNaN(t.bind('22-Nov-2026T23:40:10.045', 0)));
  assert.ok(Number.isNaN(t.bind('22-Nov-26 23:40:10.045', 0)));
  assert.ok(Number.isNaN(t.bind('22-Nov-2026', 0)));
  assert.ok(Number.isNaN(t.bind('', 0)));
});

test('BIND: Feb 29 exists in a leap year', () => {
  const t = reader();
  assert.equal(t.bind('29-Feb-2028 12:34:56.789', 0), utc(2028, 2, 29, 12, 34, 56, 789));
});

test('BIND: a day that the month does not have is rejected, not rolled into the next month', () => {
  const t = reader();
  const feb29 = t.bind('29-Feb-2027 12:00:00.000', 0);
  assert.ok(Number.isNaN(feb29), `29-Feb-2027 read as ${feb29}`);
  const nov31 = t.bind('31-Nov-2026 12:00:00.000', 0);
  assert.ok(Number.isNaN(nov31), `31-Nov-2026 read as ${nov31}`);
});

test('BIND: the per-date cache never returns a stale date', () => {
  const t = reader();
  assert.equal(t.bind('22-Nov-2026 23:59:59.999', 0), utc(2026, 11, 22, 23, 59, 59, 999));
  assert.equal(t.bind('23-Nov-2026 00:00:00.000', 0), utc(2026, 11, 23, 0, 0, 0));
  assert.equal(t.bind('22-Nov-2026 00:00:00.001', 0), utc(2026, 11, 22, 0, 0, 0, 1));
  assert.ok(Number.isNaN(t.bind('22-Nov-2026 99:00:00.001', 0)));
  assert.equal(t.bind('22-Nov-2026 01:00:00.000', 0), utc(2026, 11, 22, 1, 0, 0));
});

test('BIND stamps are local time of the configured zone', () => {
  const t = reader('Asia/Kolkata');
  assert.equal(t.bind('23-Nov-2026 19:15:43.711', 0), utc(2026, 11, 23, 13, 45, 43, 711));
});

test('ISO 8601 with Z, +05:30, -0800', () => {
  const t = reader();
  assert.equal(t.iso('2026-11-22T23:40:10.045Z queries', 0), utc(2026, 11, 22, 23, 40, 10, 45));
  assert.equal(t.end, 24);
  assert.equal(t.iso('2026-11-23T19:15:43.711+05:30 x', 0), utc(2026, 11, 23, 13, 45, 43, 711));
  assert.equal(t.end, 29);
  assert.equal(t.iso('2026-11-22T15:40:10-0800 x', 0), utc(2026, 11, 22, 23, 40, 10));
  assert.equal(t.end, 24);
  assert.equal(t.iso('2026-11-22T23:40:13.123456+00:00', 0), utc(2026, 11, 22, 23, 40, 13, 123));
  assert.equal(t.iso('2026-11-22T23:40:14.5Z', 0), utc(2026, 11, 22, 23, 40, 14, 500));
  assert.equal(t.iso('2026-11-22 23:40:10Z', 0), utc(2026, 11, 22, 23, 40, 10), 'a space may stand for T');
  // The offset, not the configured zone, decides.
  assert.equal(reader('Asia/Kolkata').iso('2026-11-22T23:40:10Z', 0), utc(2026, 11, 22, 23, 40, 10));
});

test('ISO 8601 without a zone: the configured zone applies', () => {
  assert.equal(reader('Asia/Kolkata').iso('2026-11-23T19:15:43.711 info', 0), utc(2026, 11, 23, 13, 45, 43, 711));
  assert.equal(reader('UTC').iso('2026-11-23T19:15:43.711 info', 0), utc(2026, 11, 23, 19, 15, 43, 711));
  assert.equal(reader('America/Los_Angeles').iso('2026-07-01T12:00:00', 0), utc(2026, 7, 1, 19, 0, 0));
});

test('ISO 8601: malformed', () => {
  const t = reader();
  assert.ok(Number.isNaN(t.iso('2026-13-22T23:40:10Z', 0)));
  assert.ok(Number.isNaN(t.iso('2026-11-00T23:40:10Z', 0)));
  assert.ok(Number.isNaN(t.iso('2026-11-22X23:40:10Z', 0)));
  assert.ok(Number.isNaN(t.iso('2026-11-22T24:40:10Z', 0)));
  assert.ok(Number.isNaN(t.iso('2026/11/22T23:40:10Z', 0)));
  assert.ok(Number.isNaN(t.iso('2026-11-22T23:40:10+aa:00', 0)));
  assert.ok(Number.isNaN(t.iso('22-Nov-2026 23:40:10', 0)));
});

test('RFC 3164: space-padded day and the reference year', () => {
  const t = reader('UTC', 2026);
  assert.equal(t.syslog('Nov  2 03:04:05 ns1 named[1]: x', 0), utc(2026, 11, 2, 3, 4, 5));
  assert.equal(t.end, 15);
  assert.equal(t.syslog('Nov 22 23:40:10 ns1', 0), utc(2026, 11, 22, 23, 40, 10));
  assert.equal(t.syslog('<30>Nov 22 23:40:10 ns1', 4), utc(2026, 11, 22, 23, 40, 10));
  assert.equal(reader('UTC', 2019).syslog('Nov  2 03:04:05', 0), utc(2019, 11, 2, 3, 4, 5));
  assert.equal(reader('Asia/Kolkata', 2026).syslog('Nov 22 23:40:10', 0), utc(2026, 11, 22, 18, 10, 10));
  assert.ok(Number.isNaN(t.syslog('Nox 22 23:40:10', 0)));
  assert.ok(Number.isNaN(t.syslog('Nov 22 23:40', 0)));
  assert.ok(Number.isNaN(t.syslog('Nov  0 23:40:10', 0)));
  assert.ok(Number.isNaN(t.syslog('Nov22 23:40:10', 0)));
});

test('Europe/Berlin outside DST transitions', () => {
  const berlin = new WallClock('Europe/Berlin');
  assert.equal(berlin.toEpoch(2026, 0, 15, 12, 0, 0, 0), utc(2026, 1, 15, 11, 0, 0)); // CET, +01:00
  assert.equal(berlin.toEpoch(2026, 6, 1, 12, 0, 0, 0), utc(2026, 7, 1, 10, 0, 0)); // CEST, +02:00
  // The hours either side of both 2026 transitions (29 March and 25 October, at 01:00 UTC).
  assert.equal(berlin.toEpoch(2026, 2, 29, 1, 59, 59, 0), utc(2026, 3, 29, 0, 59, 59));
  assert.equal(berlin.toEpoch(2026, 2, 29, 3, 0, 0, 0), utc(2026, 3, 29, 1, 0, 0));
  assert.equal(berlin.toEpoch(2026, 9, 25, 1, 30, 0, 0), utc(2026, 10, 24, 23, 30, 0));
  assert.equal(berlin.toEpoch(2026, 9, 25, 3, 0, 0, 0), utc(2026, 10, 25, 2, 0, 0));
});

test('Europe/Berlin DST gap and overlap: what the code does', () => {
  // Spring gap, 29 March 2026: local 02:00–02:59 does not exist (02:00 CET jumps to 03:00 CEST).
  // The code reads 02:30 with the offset in force before the jump (+01:00): 01:30 UTC, which is
  // 03:30 CEST — the same instant Temporal's 'compatible' disambiguation gives.
  const berlin = new WallClock('Europe/Berlin');
  assert.equal(berlin.toEpoch(2026, 2, 29, 2, 30, 0, 0), utc(2026, 3, 29, 1, 30, 0));
  assert.equal(berlin.toEpoch(2026, 2, 29, 2, 0, 0, 0), utc(2026, 3, 29, 1, 0, 0));
  // Autumn overlap, 25 October 2026: local 02:00–02:59 happens twice (CEST, then CET).
  // The code takes the later one (CET, +01:00): 02:30 local is 01:30 UTC, never 00:30 UTC.
  assert.equal(berlin.toEpoch(2026, 9, 25, 2, 30, 0, 0), utc(2026, 10, 25, 1, 30, 0));
  assert.equal(berlin.toEpoch(2026, 9, 25, 2, 0, 0, 0), utc(2026, 10, 25, 1, 0, 0));
  assert.equal(berlin.toEpoch(2026, 9, 25, 2, 59, 59, 999), utc(2026, 10, 25, 1, 59, 59, 999));
  // The per-hour offset cache gives the same answers on a fresh clock and in another order.
  const fresh = new WallClock('Europe/Berlin');
  assert.equal(fresh.toEpoch(2026, 9, 25, 2, 59, 0, 0), utc(2026, 10, 25, 1, 59, 0));
  assert.equal(fresh.toEpoch(2026, 9, 25, 2, 1, 0, 0), utc(2026, 10, 25, 1, 1, 0));
  assert.equal(fresh.toEpoch(2026, 2, 29, 2, 59, 0, 0), utc(2026, 3, 29, 1, 59, 0));
});

test('a zone with a half-hour offset and no DST', () => {
  const kolkata = new WallClock('Asia/Kolkata');
  assert.equal(kolkata.toEpoch(2026, 10, 23, 19, 15, 43, 711), utc(2026, 11, 23, 13, 45, 43, 711));
  assert.equal(kolkata.toEpoch(2026, 0, 1, 5, 29, 59, 999), utc(2025, 12, 31, 23, 59, 59, 999));
});
