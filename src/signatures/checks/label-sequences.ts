/**
 * Tools recognised by how their labels follow one another, which a single
 * label condition cannot say.
 *
 * OzymanDNS (Dan Kaminsky's droute.pl / nomde.pl), as public IDS rules describe
 * it: upstream `<data>.<n>-<nonce>.id-<session>.up.<domain>`, downstream polls
 * `<n>-<nonce>.id-<session>.down.<domain>`: a label `id-…` directly followed by
 * `up` or `down`, and for `up` a `…-…` label and data before it.
 *
 * dnscapy (checked against the netrack captures): `<base64 data labels>.<seq>.<flag
 * letter>.<n>.<connection id>.<domain>`: data labels in base64 (with + / =), then a
 * number, a single letter, a number and a number. Its control frames are short:
 * `a.<id>`, `c.<n>.<id>`, `b.e.<n>.<id>`, `d.e.<n>.<id>`, `<digit>.d.<n>.<id>`.
 */
import type { NameView } from '../name-view.js';
import { CHARSET_TABLES, spanFits } from '../charsets.js';
import { labelEquals } from '../name-view.js';

export function ozymandnsSession(v: NameView): boolean {
  const spans = v.labels;
  for (let k = 0; k + 1 < spans.count; k++) {
    const start = spans.start[k]!;
    if (spans.bytes[k]! < 4 || !v.lower.startsWith('id-', start)) continue;
    if (labelEquals(v, k + 1, 'down')) return k >= 1 && hasHyphen(v, k - 1);
    if (labelEquals(v, k + 1, 'up')) return k >= 2 && hasHyphen(v, k - 1);
  }
  return false;
}

function hasHyphen(v: NameView, k: number): boolean {
  const i = v.lower.indexOf('-', v.labels.start[k]!);
  return i >= 0 && i < v.labels.end[k]!;
}

export function dnscapyFrame(v: NameView): boolean {
  const spans = v.labels;
  const s = v.name;
  let m = 0; // first label after the data labels
  let encoded = false;
  while (m < v.subLabels && spanFits(s, spans.start[m]!, spans.end[m]!, CHARSET_TABLES.base64) && !isDigitsLabel(v, m)) {
    if (spans.bytes[m]! >= 16 && looksBinaryBase64(s, spans.start[m]!, spans.end[m]!)) encoded = true;
    m++;
  }
  if (m === 0 || !encoded || m + 3 >= v.subLabels) return false;
  return isDigitsLabel(v, m) && spans.bytes[m + 1] === 1 && isLetter(v.lower.charCodeAt(spans.start[m + 1]!)) && isDigitsLabel(v, m + 2) && isDigitsLabel(v, m + 3);
}

function isDigitsLabel(v: NameView, k: number): boolean {
  return k < v.labels.count && spanFits(v.name, v.labels.start[k]!, v.labels.end[k]!, CHARSET_TABLES.digits);
}

function isLetter(c: number): boolean {
  return c >= 0x61 && c <= 0x7a;
}

/** Both letter cases, or one of `+ / =`: what base64 of binary data has and hostnames do not. */
function looksBinaryBase64(s: string, start: number, end: number): boolean {
  let lower = false;
  let upper = false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2b || c === 0x2f || c === 0x3d) return true;
    if (c >= 0x61 && c <= 0x7a) lower = true;
    else if (c >= 0x41 && c <= 0x5a) upper = true;
  }
  return lower && upper;
}

/** dnscapy's control frames (see the module comment), ending where the subdomain's last label or the label before it is the zone. */
export function dnscapyControl(v: NameView): boolean {
  if (v.event.nameKind === 'reverse') return false; // ip6.arpa nibbles have the same one-character shape
  const spans = v.labels;
  if (spans.count < 2 || spans.bytes[0] !== 1) return false;
  const c0 = v.lower.charCodeAt(spans.start[0]!);
  let k: number; // first number label
  if (c0 === 0x61) k = 1; // a.<id>
  else if (c0 === 0x63) k = 1; // c.<n>.<id>
  else if ((c0 === 0x62 || c0 === 0x64) && isSingle(v, 1, 0x65)) k = 2; // b.e / d.e
  else if (c0 >= 0x30 && c0 <= 0x39 && isSingle(v, 1, 0x64)) k = 2; // <digit>.d
  else return false;
  const numbers = c0 === 0x61 ? 1 : 2;
  for (let j = k; j < k + numbers; j++) if (!isDigitsLabel(v, j)) return false;
  // The frame ends at the subdomain's end or one zone label before it.
  const after = k + numbers;
  return after === v.subLabels || after === v.subLabels - 1;
}

function isSingle(v: NameView, k: number, c: number): boolean {
  return k < v.labels.count && v.labels.bytes[k] === 1 && v.lower.charCodeAt(v.labels.start[k]!) === c;
}
