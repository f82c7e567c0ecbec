/**
 * Allocation-free scanning of one JSON object in a log line, for the cheap `locate` stage of the
 * JSON-lines parsers (Zeek JSON, Suricata EVE): spans only; JSON.parse validates in `parse`.
 */

export function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

export function skipSpace(line: string, p: number, end: number): number {
  while (p < end && isJsonSpace(line.charCodeAt(p))) p++;
  return p;
}

/** Index of the quote closing a string whose contents start at `from`; -1 when there is none. */
export function stringEnd(line: string, from: number, end: number): number {
  let p = from;
  for (;;) {
    const q = line.indexOf('"', p);
    if (q < 0 || q >= end) return -1;
    let backslashes = 0;
    for (let k = q - 1; k >= from && line.charCodeAt(k) === 0x5c; k--) backslashes++;
    if (backslashes % 2 === 0) return q;
    p = q + 1;
  }
}

/** Index after the object or array starting at `p`; -1 when it is not closed. Brackets are only counted: JSON.parse validates. */
export function compoundEnd(line: string, p: number, end: number): number {
  let depth = 0;
  while (p < end) {
    const c = line.charCodeAt(p);
    if (c === 0x22) {
      const q = stringEnd(line, p + 1, end);
      if (q < 0) return -1;
      p = q + 1;
      continue;
    }
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return p + 1;
    }
    p++;
  }
  return -1;
}
