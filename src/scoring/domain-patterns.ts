/**
 * Domain patterns with wildcard semantics, for the allowlist and mutes: `example.com` is that name
 * and every name below it, `*.example.com` only the names below it. Matching walks the name's
 * suffixes against two sets — O(labels), whatever the list's size and whatever the name holds.
 */
export class DomainPatterns {
  private readonly andBelow = new Set<string>();
  private readonly onlyBelow = new Set<string>();

  constructor(patterns: readonly string[]) {
    for (const raw of patterns) {
      const p = raw.trim().toLowerCase().replace(/\.$/, '');
      if (p.startsWith('*.')) this.onlyBelow.add(p.slice(2));
      else if (p.length > 0) this.andBelow.add(p);
    }
  }

  get size(): number {
    return this.andBelow.size + this.onlyBelow.size;
  }

  /** The pattern `nameLower` (lower-cased, no trailing dot) falls under, or null. */
  match(nameLower: string): string | null {
    if (this.andBelow.has(nameLower)) return nameLower;
    for (let dot = nameLower.indexOf('.'); dot >= 0; dot = nameLower.indexOf('.', dot + 1)) {
      const suffix = nameLower.slice(dot + 1);
      if (this.andBelow.has(suffix)) return suffix;
      if (this.onlyBelow.has(suffix)) return `*.${suffix}`;
    }
    return null;
  }
}
