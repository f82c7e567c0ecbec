/**
 * The signature rules file (rules/signatures.yaml and users' extra files):
 * schema, validation and the rule type. docs/SIGNATURES.md describes the format
 * for users; this schema is the one authority on what is accepted.
 */
import { z } from 'zod';
import { CHARSETS } from './charsets.js';
import { NAMED_CHECK_IDS } from './checks/index.js';
import { invalidFileError } from './rules-file.js';
import { TunnelwatchError } from '../errors.js';

/** A literal compared with a label: printable ASCII, at most one label long. */
const literal = z
  .string()
  .min(1)
  .max(63)
  .refine((s) => [...s].every((c) => c.charCodeAt(0) >= 0x21 && c.charCodeAt(0) <= 0x7e), { message: 'expected printable ASCII without spaces' });

const oneOrMore = z.union([literal, z.array(literal).min(1).max(32)]);

const labelLength = z.number().int().min(1).max(63);

const labelCondition = z
  .object({
    at: z
      .union([z.literal('first'), z.literal('any'), z.number().int().min(0).max(126)])
      .optional()
      .describe('Which label: `first` (leftmost, the default), `any`, or an index from the left (0 = first).'),
    fromDomain: z
      .number()
      .int()
      .min(1)
      .max(126)
      .optional()
      .describe('Which label, counted leftwards from the registered domain (1 = the label directly left of it). Instead of `at`.'),
    equals: oneOrMore.optional().describe('The label is this literal (or one of these).'),
    prefix: oneOrMore.optional().describe('The label starts with this literal (or one of these).'),
    suffix: literal.optional().describe('The label ends with this literal.'),
    contains: literal.optional().describe('The label contains this literal.'),
    caseSensitive: z.boolean().default(false).describe('Compare literals with the case as logged; default: ignore ASCII case.'),
    charset: z.enum(CHARSETS).optional().describe('Every character of the label, after `prefix` and before `suffix`, is in this alphabet.'),
    length: labelLength.optional().describe('The label is exactly this many bytes.'),
    minLength: labelLength.optional(),
    maxLength: labelLength.optional(),
  })
  .strict()
  .refine((c) => c.at === undefined || c.fromDomain === undefined, { message: 'give `at` or `fromDomain`, not both' })
  .refine((c) => c.equals !== undefined || c.prefix !== undefined || c.suffix !== undefined || c.contains !== undefined || c.charset !== undefined || c.length !== undefined || c.minLength !== undefined || c.maxLength !== undefined, {
    message: 'a label condition needs at least one test (equals, prefix, suffix, contains, charset, length, minLength, maxLength)',
  });

/** A query type; an unquoted NULL in YAML reads as null, which can only mean the NULL type. */
const qtypeName = z.union([z.string().min(1).max(16), z.null().transform(() => 'NULL')]);

const nameBytes = z.number().int().min(0).max(255);
const labelCount = z.number().int().min(0).max(127);

const sizeCondition = z
  .object({
    minBytes: nameBytes.optional(),
    maxBytes: nameBytes.optional(),
    minLabels: labelCount.optional(),
    maxLabels: labelCount.optional(),
  })
  .strict();

const ruleSchema = z
  .object({
    id: z
      .string()
      .min(1)
      .max(64)
      .refine((s) => /^[a-z0-9][a-z0-9._-]*$/.test(s), { message: 'expected lower-case letters, digits, `.`, `_` or `-`' })
      .describe('Stable identifier, written in alerts; a user rule with a default rule’s id replaces it.'),
    tool: z.string().min(1).max(64).describe('The tool the rule attributes the query to.'),
    why: z.string().min(10).max(600).describe('One or two sentences an analyst reads: what in the name gives the tool away.'),
    references: z.array(z.string().min(1).max(300)).max(10).default([]).describe('Where the facts come from (protocol documents, source files, public IDS rules).'),
    confidence: z.enum(['high', 'medium', 'low']).describe('high: the structure is the tool’s own; medium: strong but seen elsewhere or not verified against the tool; low: also fits some benign names.'),
    falsePositives: z.string().min(10).max(600).optional().describe('What benign traffic the rule can also match; required for low confidence.'),
    enabled: z.boolean().default(true),
    match: z
      .object({
        qtypes: z
          .array(qtypeName)
          .min(1)
          .max(32)
          .optional()
          .describe('Query types (mnemonics or TYPEnnn; PRIVATE = TYPE65399); any type when absent.'),
        labels: z.array(labelCondition).max(16).default([]).describe('Conditions on labels; all must hold.'),
        name: sizeCondition.optional().describe('Bytes and labels of the whole name.'),
        subdomain: sizeCondition.optional().describe('Bytes and labels of the subdomain (left of the registered domain).'),
        checks: z.array(z.enum(NAMED_CHECK_IDS)).max(8).default([]).describe('Named structural checks, all must pass (docs/SIGNATURES.md).'),
      })
      .strict()
      .refine((m) => m.labels.length > 0 || m.checks.length > 0, { message: 'a rule needs at least one label condition or named check' }),
  })
  .strict()
  .refine((r) => r.confidence !== 'low' || r.falsePositives !== undefined, {
    message: 'a low-confidence rule must say what benign names it can match (falsePositives)',
    path: ['falsePositives'],
  });

const fileSchema = z
  .object({
    version: z.literal(1).describe('Format version.'),
    rules: z.array(ruleSchema).max(10_000),
  })
  .strict();

export type SignatureRuleSpec = z.output<typeof ruleSchema>;
export type LabelCondition = z.output<typeof labelCondition>;
export type Confidence = SignatureRuleSpec['confidence'];

/** A validated rule and the file it came from. */
export type SignatureRule = SignatureRuleSpec & { source: string };

/** Validates the parsed contents of a rules file; errors name `path` and every bad field. */
export function validateSignatureFile(raw: unknown, path: string): SignatureRule[] {
  const result = fileSchema.safeParse(raw ?? {});
  if (!result.success) throw invalidFileError('signature rules file', path, result.error, raw);
  const seen = new Set<string>();
  for (const [i, rule] of result.data.rules.entries()) {
    if (seen.has(rule.id)) throw new TunnelwatchError('TW_CONFIG', `signature rules file ${path} is invalid:\n  rules[${i}].id: duplicate id ${JSON.stringify(rule.id)} within the file`);
    seen.add(rule.id);
  }
  return result.data.rules.map((rule) => ({ ...rule, source: path }));
}
