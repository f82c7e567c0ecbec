import { validateSignatureFile, type SignatureRule } from './rule.js';
import { packagedRulesPath, readYamlFile } from './rules-file.js';

/** The packaged default rules. */
export function defaultSignatureFile(): string {
  return packagedRulesPath('signatures.yaml');
}

/**
 * The default rules, then each extra file in order: a rule whose id is already
 * loaded replaces it in place (so users can retune or disable a default rule by
 * re-declaring its id); new ids are appended. Disabled rules are kept here and
 * skipped by the matcher. A bad file is a TW_CONFIG error naming the file and
 * the field.
 */
export function loadSignatureRules(extraFiles: readonly string[] = []): SignatureRule[] {
  const rules: SignatureRule[] = [];
  const index = new Map<string, number>();
  for (const file of [defaultSignatureFile(), ...extraFiles]) {
    for (const rule of validateSignatureFile(readYamlFile(file, 'signature rules file'), file)) {
      const at = index.get(rule.id);
      if (at === undefined) {
        index.set(rule.id, rules.length);
        rules.push(rule);
      } else rules[at] = rule;
    }
  }
  return rules;
}
