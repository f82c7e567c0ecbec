/**
 * Registry of binary record decoders and their detection from magic bytes (see record-decoder.ts).
 */
import type { Config } from '../config/schema.js';
import type { RecordFormat } from './formats.js';
import type { RecordDecoder } from './record-decoder.js';
import { DnstapDecoder } from './dnstap/decoder.js';
import { looksLikeDnstap } from './dnstap/frame-stream.js';

const DECODERS: Record<RecordFormat, (config: Config) => RecordDecoder> = {
  dnstap: (config) => new DnstapDecoder({ resolverEvents: config.input.dnstapResolverEvents }),
};

export function createDecoder(format: RecordFormat, config: Config): RecordDecoder {
  const factory: (config: Config) => RecordDecoder = DECODERS[format];
  return factory(config);
}

/** The record format whose magic bytes `sample` starts with, or null for text. */
export function sniffRecordFormat(sample: Buffer): RecordFormat | null {
  if (looksLikeDnstap(sample)) return 'dnstap';
  return null;
}
