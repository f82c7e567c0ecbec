import type { Config } from '../config/schema.js';
import { BindQueryParser } from './bind.js';
import type { LineParser } from './parser.js';

/** The parser for the configured format. Only BIND/Infoblox query logs so far, so `auto` resolves to it. */
export function createParser(config: Config): LineParser {
  const { timeZone, syslogYear } = config.input;
  return new BindQueryParser(syslogYear === undefined ? { timeZone } : { timeZone, syslogYear });
}
