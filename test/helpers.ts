/**
 * Shared test helpers. Paths are resolved from this module's URL, never from
 * the working directory: compiled tests live in dist/test/, so `../../` is the
 * repository root wherever `node --test` is started.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root (with a trailing separator). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Absolute path of a file given relative to the repository root (`..` allowed, e.g. `../shared/...`). */
export function repoPath(relative: string): string {
  return fileURLToPath(new URL(relative, new URL('../../', import.meta.url)));
}

/** Absolute path of a file under test/fixtures/. */
export function fixturePath(relative: string): string {
  return repoPath(`test/fixtures/${relative}`);
}

/**
 * A fixture's lines exactly as the pipeline sees them: split on `\n` only, each
 * decoded as latin1 (one character per byte). A final empty string (after the
 * last newline) is dropped; a last line without newline is kept.
 */
export function fixtureLines(relative: string): string[] {
  const data = readFileSync(fixturePath(relative));
  const lines: string[] = [];
  let start = 0;
  while (start < data.length) {
    let nl = data.indexOf(0x0a, start);
    if (nl < 0) nl = data.length;
    lines.push(data.toString('latin1', start, nl));
    start = nl + 1;
  }
  return lines;
}

/** Runs `fn` with a fresh directory under os.tmpdir(), removed afterwards whatever happens. */
export async function withTmpDir<T>(fn: (dir: string) => Promise<T> | T): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'tunnelwatch-test-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Polls `condition` every `everyMs` until it holds; fails with `what` after `timeoutMs`. Never a fixed sleep. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Small seeded PRNG (mulberry32): the same seed gives the same sequence, so a failing case can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [0, n). */
export function randomInt(random: () => number, n: number): number {
  return Math.floor(random() * n);
}

/** `s` with only ASCII A–Z lower-cased (what DNS case-insensitivity means). */
export function asciiLower(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 0x41 && c <= 0x5a ? String.fromCharCode(c | 0x20) : s[i];
  }
  return out;
}

/**
 * A seeded random edit of a log line for parser fuzzing: 1 to `maxEdits` of byte flips, cuts,
 * insertions of `inserts` (format-specific trouble makers), insertions of a character below
 * `highCharLimit` from 0x80 up, and deletions of short runs.
 */
export function mutateLine(line: string, random: () => number, inserts: readonly string[], maxEdits = 2, highCharLimit = 0x100): string {
  let s = line;
  const n = 1 + randomInt(random, maxEdits);
  for (let k = 0; k < n; k++) {
    const at = randomInt(random, s.length + 1);
    switch (randomInt(random, 5)) {
      case 0: {
        // Flip a byte to any value 0–255 (lines are latin1: one char per byte).
        if (s.length === 0) break;
        const pos = Math.min(at, s.length - 1);
        s = s.slice(0, pos) + String.fromCharCode(randomInt(random, 256)) + s.slice(pos + 1);
        break;
      }
      case 1:
        s = s.slice(0, at);
        break;
      case 2:
        s = s.slice(0, at) + inserts[randomInt(random, inserts.length)]! + s.slice(at);
        break;
      case 3:
        s = s.slice(0, at) + String.fromCharCode(0x80 + randomInt(random, highCharLimit - 0x80)) + s.slice(at);
        break;
      default:
        s = s.slice(0, at) + s.slice(at + 1 + randomInt(random, 8));
        break;
    }
  }
  return s;
}
