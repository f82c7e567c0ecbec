/**
 * Registry of binary record decoders and their detection from magic bytes (see record-decoder.ts).
 */
import type { Config } from '../config/schema.js';
import type { RecordFormat } from './formats.js';
import { createPcapDecoder } from './pcap/pcap-decoder.js';
import type { RecordDecoder } from './record-decoder.js';
import { DnstapDecoder } from './dnstap/decoder.js';
import { looksLikeDnstap } from './dnstap/frame-stream.js';

const DECODERS: Record<RecordFormat, (config: Config) => RecordDecoder> = {
  pcap: createPcapDecoder,
  dnstap: (config) => new DnstapDecoder({ resolverEvents: config.input.dnstapResolverEvents }),
};

export function createDecoder(format: RecordFormat, config: Config): RecordDecoder {
  const factory: (config: Config) => RecordDecoder = DECODERS[format];
  return factory(config);
}

/** The record format whose magic bytes `sample` starts with, or null for text. */
export function sniffRecordFormat(sample: Buffer): RecordFormat | null {
  if (looksLikeDnstap(sample)) return 'dnstap';
  if (sample.length < 4) return null;
  const magic = sample.readUInt32BE(0);
  const swapped = sample.readUInt32LE(0);
  // Classic pcap (µs, ns, Kuznetzov's modified), in either byte order.
  for (const known of [0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34]) if (magic === known || swapped === known) return 'pcap';
  // pcapng: a Section Header Block, whose byte-order magic follows its type and length.
  if (magic === 0x0a0d0d0a && sample.length >= 12) {
    const order = sample.readUInt32BE(8);
    if (order === 0x1a2b3c4d || order === 0x4d3c2b1a) return 'pcap';
  }
  return null;
}
