/**
 * Reading the YAML data files under rules/ (signatures, benign zones) and the
 * user's extra files of the same kinds: where the packaged files are, and
 * errors that name the file and the field.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { TunnelwatchError } from '../errors.js';

/**
 * The package root: the nearest directory above this module holding
 * package.json and rules/. tsc does not copy rules/, so the files are read from
 * the package itself, wherever this module runs from (src/ under a TypeScript
 * runner, dist/src/ in a checkout, node_modules/tunnelwatch/dist/src/ installed).
 */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 6; up++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'rules'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new TunnelwatchError('TW_CONFIG', `cannot find the rules/ directory of the tunnelwatch package above ${fileURLToPath(import.meta.url)}`);
}

/** Absolute path of a packaged data file under rules/. */
export function packagedRulesPath(file: string): string {
  return join(packageRoot(), 'rules', file);
}

/** Reads and parses a YAML (or JSON) file; a missing file or bad YAML is a TW_CONFIG error naming it. */
export function readYamlFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new TunnelwatchError('TW_CONFIG', `cannot read ${what} ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return parseYaml(text);
  } catch (error) {
    throw new TunnelwatchError('TW_CONFIG', `${what} ${path} is not valid YAML: ${(error as Error).message}`, { cause: error });
  }
}

/** `rules[3].match.labels[0].charset` from a zod issue path. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '');
}

/**
 * A TW_CONFIG error listing every problem of `error` by field path; when the
 * path runs through an entry of a top-level list whose `id` (or `zone`) is
 * readable, the entry is named too, so a user finds it in a long file.
 */
export function invalidFileError(what: string, path: string, error: z.ZodError, raw: unknown): TunnelwatchError {
  const problems = error.issues.map((issue) => {
    const where = issuePath(issue.path) || '(top level)';
    const keys = issue.code === 'unrecognized_keys' ? ` ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}` : '';
    return `  ${where}${entryName(raw, issue.path)}: ${issue.message}${keys}`;
  });
  return new TunnelwatchError('TW_CONFIG', `${what} ${path} is invalid:\n${problems.join('\n')}`);
}

function entryName(raw: unknown, path: readonly PropertyKey[]): string {
  const listKey = path[0];
  if (path.length < 2 || typeof listKey !== 'string' || typeof path[1] !== 'number') return '';
  const list = (raw as Record<string, unknown> | null)?.[listKey];
  const entry = Array.isArray(list) ? (list[path[1]] as Record<string, unknown> | undefined) : undefined;
  const name = entry?.id ?? entry?.zone;
  return typeof name === 'string' ? ` (${JSON.stringify(name)})` : '';
}
