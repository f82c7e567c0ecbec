/**
 * ArcSight Common Event Format (CEF:0) rendering of an alert.
 *
 *   CEF:0|tunnelwatch|tunnelwatch|0.1.0|<rule>|<reason>|<severity 0-10>|<extensions>
 *
 * Escaping (CEF Implementation Standard):
 * - header fields: `\` → `\\`, `|` → `\|`; CR and LF (which the standard does
 *   not allow in a header at all) are written as `\r` and `\n` so a hostile
 *   name can never end the record early.
 * - extension values: `\` → `\\`, `=` → `\=`, LF → `\n`, CR → `\r`.
 *   `|` needs no escape in the extension.
 * Every attacker-controlled string (query names, samples, the reason sentence
 * that quotes them) goes through these escapes, so the record is always one
 * line with exactly seven unescaped header pipes, and each value decodes back
 * to the original string. Other control characters are passed through as is
 * (CEF has no escape for them and they cannot end a record).
 */
import { isIP } from 'node:net';
import type { Alert } from '../alerts/alert.js';

export const CEF_VENDOR = 'tunnelwatch';
export const CEF_PRODUCT = 'tunnelwatch';
export const CEF_VERSION = '0.1.0';

export function escapeCefHeader(value: string): string {
  return value.replace(/[\\|\r\n]/g, (c) => (c === '\r' ? '\\r' : c === '\n' ? '\\n' : `\\${c}`));
}

export function escapeCefExtension(value: string): string {
  return value.replace(/[\\=\r\n]/g, (c) => (c === '\r' ? '\\r' : c === '\n' ? '\\n' : `\\${c}`));
}

/**
 * 0–10. Score rules: the 0–100 score divided by ten, rounded. Distinct-subdomain rules: 6 at the
 * threshold, one more for each doubling of the distinct count past it (capped at 10).
 */
export function cefSeverity(alert: Alert): number {
  if (alert.score !== undefined) return Math.max(0, Math.min(10, Math.round(alert.score / 10)));
  const ratio = alert.threshold > 0 ? alert.distinctSubdomains / alert.threshold : 1;
  const sev = 6 + Math.floor(Math.log2(Math.max(1, ratio)));
  return Math.max(0, Math.min(10, Number.isFinite(sev) ? sev : 10));
}

export function toCef(alert: Alert): string {
  const header = [
    'CEF:0',
    escapeCefHeader(CEF_VENDOR),
    escapeCefHeader(CEF_PRODUCT),
    escapeCefHeader(CEF_VERSION),
    escapeCefHeader(alert.rule),
    escapeCefHeader(alert.reason),
    String(cefSeverity(alert)),
  ].join('|');

  const ext: Array<[string, string]> = [];
  ext.push(['rt', String(alert.time)]);
  const src = alert.clientIp ?? alert.question.client;
  if (src !== undefined && isIP(src) !== 0) ext.push(['src', src]);
  ext.push(['dhost', alert.registeredDomain]);
  ext.push(['request', alert.question.name]);
  ext.push(['externalId', alert.id]);
  ext.push(['cat', alert.ruleType]);
  ext.push(['msg', alert.reason]);
  ext.push(['start', String(alert.window.start)]);
  ext.push(['end', String(alert.window.end)]);
  ext.push(['cs1Label', 'rule'], ['cs1', alert.rule]);
  ext.push(['cs2Label', 'samples'], ['cs2', JSON.stringify(alert.samples)]);
  ext.push(['cs3Label', 'window'], ['cs3', alert.window.name]);
  ext.push(['cs4Label', 'queryType'], ['cs4', alert.question.type]);
  ext.push(['cn1Label', 'distinctSubdomains'], ['cn1', String(alert.distinctSubdomains)]);
  ext.push(['cn2Label', 'threshold'], ['cn2', String(alert.threshold)]);
  ext.push(['cn3Label', 'queries'], ['cn3', String(alert.queries)]);
  if (alert.score !== undefined) ext.push(['cfp1Label', 'score'], ['cfp1', String(alert.score)]);
  if (alert.tool !== undefined) ext.push(['cs5Label', 'tool'], ['cs5', alert.tool]);
  if (alert.decodedPreview !== undefined) ext.push(['cs6Label', 'decodedPreview'], ['cs6', alert.decodedPreview.text]);
  const extension = ext.map(([k, v]) => `${k}=${escapeCefExtension(v)}`).join(' ');
  return `${header}|${extension}`;
}
