/**
 * Token checks shared by the line parsers: addresses, ports, record types and
 * classes, as resolvers print them. Character-code loops: they run per line.
 */

/**
 * A type as BIND, dnsmasq and unbound print a mnemonic: an upper-case letter, then upper-case
 * letters, digits, `-`, at most 16; or `TYPEn` (RFC 3597) with n ≤ 65535.
 */
export function isTypeMnemonic(line: string, start: number, end: number): boolean {
  if (end <= start || end - start > 16) return false;
  if (end - start > 4 && line.startsWith('TYPE', start) && isDigit(line.charCodeAt(start + 4))) return readPort(line, start + 4, end) >= 0;
  const first = line.charCodeAt(start);
  if (first < 0x41 || first > 0x5a) return false;
  for (let i = start + 1; i < end; i++) {
    const c = line.charCodeAt(i);
    if (!((c >= 0x41 && c <= 0x5a) || isDigit(c) || c === 0x2d)) return false;
  }
  return true;
}

/** A whole text as a type or class mnemonic (JSON formats hand over strings, not line spans). */
export function isMnemonicText(text: string): boolean {
  return isTypeMnemonic(text, 0, text.length);
}

/** An integer 0–65535 (ports, type and class numbers read from JSON). */
export function isPort16(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 65535;
}

/** A decimal number 0–65535 filling `line[start, end)`, or -1. */
export function readPort(line: string, start: number, end: number): number {
  if (end <= start || end - start > 5) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = line.charCodeAt(i);
    if (!isDigit(c)) return -1;
    v = v * 10 + c - 0x30;
  }
  return v <= 65535 ? v : -1;
}

/**
 * A client address as inet_ntop writes it: a dotted quad with octets ≤ 255, or IPv6 (hex groups of
 * at most 4 digits, at most 8 groups, one `::`, an optional dotted-quad tail, an optional `%zone`
 * of letters, digits, `.`, `_`, `-`).
 */
export function isAddress(line: string, start: number, end: number): boolean {
  if (end <= start || end - start > 64) return false;
  const colon = line.indexOf(':', start);
  if (colon < 0 || colon >= end) return isIPv4(line, start, end);
  let stop = end;
  const percent = line.indexOf('%', start);
  if (percent >= 0 && percent < end) {
    if (percent === end - 1) return false;
    for (let i = percent + 1; i < end; i++) {
      const c = line.charCodeAt(i);
      const ok = isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2e || c === 0x5f || c === 0x2d;
      if (!ok) return false;
    }
    stop = percent;
  }
  let groups = 0;
  let groupLen = 0;
  let doubleColon = false;
  for (let i = start; i < stop; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x3a) {
      if (i > start && line.charCodeAt(i - 1) === 0x3a) {
        if (doubleColon) return false;
        doubleColon = true;
      } else if (i === start && line.charCodeAt(i + 1) !== 0x3a) return false;
      if (groupLen > 0) groups++;
      groupLen = 0;
    } else if (isHex(c)) {
      if (++groupLen > 4) return false;
    } else if (c === 0x2e) {
      // An IPv4 tail (::ffff:10.0.0.1): from the start of this group to the end.
      const tailStart = i - groupLen;
      if (!isIPv4(line, tailStart, stop)) return false;
      groups += 2;
      groupLen = 0;
      break;
    } else return false;
  }
  if (groupLen > 0) groups++;
  const last = line.charCodeAt(stop - 1);
  if (last === 0x3a && line.charCodeAt(stop - 2) !== 0x3a) return false;
  return doubleColon ? groups <= 7 : groups === 8;
}

function isIPv4(line: string, start: number, end: number): boolean {
  let octets = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i === end ? 0x2e : line.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || value > 255) return false;
      octets++;
      value = 0;
      digits = 0;
    } else if (isDigit(c) && digits < 3) {
      value = value * 10 + c - 0x30;
      digits++;
    } else return false;
  }
  return octets === 4;
}

/** IN, CH, HS, NONE, ANY, or CLASSn (RFC 3597) with n ≤ 65535. */
export function isClass(line: string, start: number, end: number): boolean {
  const len = end - start;
  if (len === 2) {
    const a = line.charCodeAt(start);
    const b = line.charCodeAt(start + 1);
    return (a === 0x49 && b === 0x4e) || (a === 0x43 && b === 0x48) || (a === 0x48 && b === 0x53);
  }
  if (len === 3) return line.startsWith('ANY', start);
  if (len === 4) return line.startsWith('NONE', start);
  return line.startsWith('CLASS', start) && readPort(line, start + 5, end) >= 0;
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}


/** A DNS class number as BIND logs it (`IN`, `CH`, `HS`, `NONE`, `ANY`, else `CLASSn`). */
export function classMnemonic(qclass: number): string {
  switch (qclass) {
    case 1:
      return 'IN';
    case 3:
      return 'CH';
    case 4:
      return 'HS';
    case 254:
      return 'NONE';
    case 255:
      return 'ANY';
    default:
      return `CLASS${qclass}`;
  }
}
