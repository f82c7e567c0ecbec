/**
 * The named structural checks a rule can ask for (`checks: [...]` in a rules
 * file): what a declarative condition cannot say, such as "the de-dotted hex
 * parses as a dnscat2 header". Each takes the event's name view and answers
 * without throwing, allocating or backtracking. docs/SIGNATURES.md lists them.
 */
import { viewFeatures, type NameView } from '../name-view.js';
import { dns2tcpHeader } from './dns2tcp.js';
import { dnscat2Header } from './dnscat2.js';
import { iodineCodecCheck, iodineControl, iodineData, iodineHandshake, iodineLogin } from './iodine.js';
import { dnscapyControl, dnscapyFrame, ozymandnsSession } from './label-sequences.js';
import { sliverBase32, sliverBase58 } from './sliver.js';

export type NamedCheck = (view: NameView) => boolean;

/**
 * The subdomain reads unlike ordinary names: English-likeness (src/features/query-features.ts)
 * under 0.5, where random base32 scores about 0 and the median popular name 1. For rules
 * whose labels have the right alphabet but could also be words.
 */
export function randomLooking(view: NameView): boolean {
  return viewFeatures(view).englishLikeness < 0.5;
}

export const NAMED_CHECKS = {
  'iodine-handshake': iodineHandshake,
  'iodine-login': iodineLogin,
  'iodine-codec-check': iodineCodecCheck,
  'iodine-control': iodineControl,
  'iodine-data': iodineData,
  'dnscat2-header': dnscat2Header,
  'dns2tcp-header': dns2tcpHeader,
  'sliver-base32': sliverBase32,
  'sliver-base58': sliverBase58,
  'ozymandns-session': ozymandnsSession,
  'dnscapy-frame': dnscapyFrame,
  'dnscapy-control': dnscapyControl,
  'random-looking': randomLooking,
} as const satisfies Record<string, NamedCheck>;

export type NamedCheckId = keyof typeof NAMED_CHECKS;

export const NAMED_CHECK_IDS = Object.keys(NAMED_CHECKS) as NamedCheckId[];
