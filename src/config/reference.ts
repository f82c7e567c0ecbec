/**
 * The configuration reference (docs/CONFIG.md), generated from the schema so
 * the documented keys, defaults and descriptions cannot drift from the code.
 * `tunnelwatch config --reference` prints it; a test compares it with the
 * committed file.
 */
import { z } from 'zod';
import { configSchema } from './schema.js';

interface JsonSchemaNode {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchemaNode>;
  items?: JsonSchemaNode;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
}

function typeOf(node: JsonSchemaNode): string {
  if (node.enum !== undefined) return node.enum.map((v) => `\`${String(v)}\``).join(' | ');
  if (node.type === 'array') return `list of ${node.items === undefined ? 'values' : node.items.type === 'object' ? 'objects' : String(node.items.type)}`;
  const max = node.maximum !== undefined && node.maximum < Number.MAX_SAFE_INTEGER ? node.maximum : undefined;
  const min = node.minimum ?? (node.exclusiveMinimum !== undefined ? node.exclusiveMinimum + 1 : undefined);
  const range = min === undefined && max === undefined ? '' : max === undefined ? ` (≥ ${min})` : ` (${min ?? ''}–${max})`;
  return `${Array.isArray(node.type) ? node.type.join(' or ') : (node.type ?? 'any')}${range}`;
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function rows(node: JsonSchemaNode, prefix: string, out: string[]): void {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (child.type === 'object' && child.properties !== undefined) {
      rows(child, path, out);
      continue;
    }
    const def = child.default === undefined ? '—' : `\`${JSON.stringify(child.default)}\``;
    out.push(`| \`${path}\` | ${cell(typeOf(child))} | ${cell(def)} | ${cell(child.description ?? '')} |`);
    if (child.type === 'array' && child.items?.type === 'object') rows(child.items, `${path}[]`, out);
  }
}

export function configReference(): string {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;
  const out = [
    '# Configuration reference',
    '',
    'Generated from src/config/schema.ts by `tunnelwatch config --reference` (a test checks this file is current).',
    'A configuration file is YAML or JSON with these keys; every key is optional; unknown keys are errors.',
    'Command-line flags of `detect` override the file.',
    '',
    '| key | type | default | meaning |',
    '|---|---|---|---|',
  ];
  rows(schema, '', out);
  return out.join('\n') + '\n';
}
