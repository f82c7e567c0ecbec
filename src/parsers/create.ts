/**
 * Parser registry and format detection. `auto` is resolved once per run from
 * the first bytes of the first input (all inputs of a run share a format;
 * `--format` overrides).
 */
import type { Config } from '../config/schema.js';
import { BindQueryParser } from './bind.js';
import type { LineParser } from './parser.js';
import { DnsmasqQueryParser, sniffDnsmasq } from './dnsmasq.js';
import { sniffSuricata, SuricataEveParser } from './suricata.js';
import { sniffUnbound, UnboundQueryParser } from './unbound.js';
import { sniffWindowsDns, WindowsDnsParser } from './windows-dns.js';
import { JSON_PRESETS, JsonMappedParser, sniffJsonPreset } from './json-mapped.js';
import { TunnelwatchError } from '../errors.js';
import { sniffZeek, ZeekJsonParser, ZeekTsvParser } from './zeek.js';

import { isRecordFormat, type Format, type LineFormat } from './formats.js';
import { sniffRecordFormat } from './decoders.js';

/** Zone and year for formats whose timestamps may carry neither. */
function clockOptions(config: Config): { timeZone: string; syslogYear?: number } {
  const { timeZone, syslogYear } = config.input;
  return syslogYear === undefined ? { timeZone } : { timeZone, syslogYear };
}

const FACTORIES: Record<LineFormat, (config: Config) => LineParser> = {
  bind: (config) => new BindQueryParser(clockOptions(config)),
  'zeek-tsv': () => new ZeekTsvParser(),
  'zeek-json': () => new ZeekJsonParser(),
  'suricata-eve': () => new SuricataEveParser(),
  route53: () => new JsonMappedParser('route53', JSON_PRESETS.route53),
  clouddns: () => new JsonMappedParser('clouddns', JSON_PRESETS.clouddns),
  json: (config) => {
    const fields = config.input.jsonFields;
    if (fields === undefined) throw new TunnelwatchError('TW_CONFIG', 'format json needs input.jsonFields (time, client, name, type as dotted paths)');
    return new JsonMappedParser('json', fields);
  },
  'windows-dns': (config) => new WindowsDnsParser({ timeZone: config.input.timeZone, dateOrder: config.input.windowsDateOrder }),
  dnsmasq: (config) => new DnsmasqQueryParser(clockOptions(config)),
  unbound: (config) => new UnboundQueryParser({ ...clockOptions(config), eventsFrom: 'queries' }),
  'unbound-replies': (config) => new UnboundQueryParser({ ...clockOptions(config), eventsFrom: 'replies' }),
};

/** The parser for the configured format; `auto` must have been resolved by `resolveFormat` first. */
export function createParser(config: Config): LineParser {
  const format = config.input.format;
  if (format === 'auto') throw new Error('createParser: resolve the auto format first');
  if (isRecordFormat(format)) throw new Error(`createParser: ${format} is a record format (createDecoder)`);
  return FACTORIES[format](config);
}

/**
 * Guesses the format from a sample of the input: binary formats by their magic bytes, text formats
 * by the first complete lines. Each known format has a literal marker no other format's lines
 * carry; BIND is the default.
 */
export function sniffFormat(sample: Buffer): Format {
  const binary = sniffRecordFormat(sample);
  if (binary !== null) return binary;
  const text = sample.toString('latin1', 0, Math.min(sample.length, 16_384));
  const zeek = sniffZeek(text);
  if (zeek !== null) return zeek;
  if (sniffSuricata(text)) return 'suricata-eve';
  if (sniffWindowsDns(text)) return 'windows-dns';
  const preset = sniffJsonPreset(text);
  if (preset !== null) return preset;
  if (text.includes(': query: ')) return 'bind';
  const unbound = sniffUnbound(text);
  if (unbound !== null) return unbound === 'replies' ? 'unbound-replies' : 'unbound';
  if (sniffDnsmasq(text)) return 'dnsmasq';
  return 'bind';
}

/** The config with `input.format` made concrete. */
export function resolveFormat(config: Config, sample: Buffer | null): Config {
  if (config.input.format !== 'auto') return config;
  return { ...config, input: { ...config.input, format: sample === null ? 'bind' : sniffFormat(sample) } };
}
