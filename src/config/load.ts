import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { TunnelwatchError } from '../errors.js';
import { configSchema, type Config } from './schema.js';

/** Validates a raw object; the error names every bad key by its path (`rules[0].threshold`). */
export function validateConfig(raw: unknown, origin = 'configuration'): Config {
  const result = configSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '');
    const keys = issue.code === 'unrecognized_keys' ? ` ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}` : '';
    return `  ${path || '(top level)'}: ${issue.message}${keys}`;
  });
  throw new TunnelwatchError('TW_CONFIG', `${origin} is invalid:\n${problems.join('\n')}`);
}

/** Reads a YAML or JSON file (JSON is YAML, so one parser serves both). */
export function loadConfigFile(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new TunnelwatchError('TW_CONFIG', `cannot read config file ${path}: ${(error as Error).message}`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new TunnelwatchError('TW_CONFIG', `config file ${path} is not valid YAML/JSON: ${(error as Error).message}`, { cause: error });
  }
  return validateConfig(raw, `config file ${path}`);
}
