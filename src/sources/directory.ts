/**
 * A directory watched for new log files (the design's file source): every regular file whose name
 * matches the pattern is handed out once, oldest first, when it has stopped growing; the directory
 * is polled for more until `stop()`. Which files are finished is the caller's to remember (a
 * checkpoint does, so a restart skips them): `isDone` is asked before a file is handed out.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TunnelwatchError } from '../errors.js';

export interface WatchedFile {
  path: string;
  dev: number;
  ino: number;
}

export class DirectoryWatcher {
  private stopped = false;
  private wake: (() => void) | null = null;
  /** Sizes seen at the previous poll: a file is taken once two polls agree. */
  private readonly lastSize = new Map<string, number>();
  private readonly handedOut = new Set<string>();

  constructor(
    readonly dir: string,
    private readonly pattern: string,
    private readonly pollMs: number,
    private readonly isDone: (file: WatchedFile) => boolean,
  ) {}

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  async *files(): AsyncGenerator<WatchedFile> {
    while (!this.stopped) {
      for (const file of await this.ready()) {
        if (this.stopped) return;
        yield file;
      }
      await this.pause();
    }
  }

  /** Files settled since the last poll, oldest first (then by name). */
  private async ready(): Promise<WatchedFile[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      throw new TunnelwatchError('TW_INPUT', `cannot read the watched directory ${this.dir}: ${(error as Error).message}`, { cause: error });
    }
    const found: Array<WatchedFile & { mtimeMs: number }> = [];
    for (const name of names) {
      if (!globMatch(this.pattern, name)) continue;
      const path = join(this.dir, name);
      const s = await stat(path).catch(() => null);
      if (s === null || !s.isFile()) continue;
      const key = `${s.dev}:${s.ino}:${path}`;
      if (this.handedOut.has(key)) continue;
      const file = { path, dev: s.dev, ino: s.ino };
      if (this.isDone(file)) {
        this.handedOut.add(key);
        continue;
      }
      const before = this.lastSize.get(key);
      this.lastSize.set(key, s.size);
      if (before !== s.size) continue; // new, or still being written: look again at the next poll
      found.push({ ...file, mtimeMs: s.mtimeMs });
    }
    found.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const f of found) {
      this.handedOut.add(`${f.dev}:${f.ino}:${f.path}`);
      this.lastSize.delete(`${f.dev}:${f.ino}:${f.path}`);
    }
    return found.map(({ path, dev, ino }) => ({ path, dev, ino }));
  }

  private async pause(): Promise<void> {
    const ac = new AbortController();
    this.wake = () => ac.abort();
    await sleep(this.pollMs, undefined, { signal: ac.signal }).catch(() => {});
    this.wake = null;
  }
}

/**
 * Shell-style name match with `*` (any run) and `?` (one character). Greedy with one remembered
 * star position, so it runs in O(name × pattern) at worst and never backtracks exponentially.
 */
export function globMatch(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let starName = 0;
  while (n < name.length) {
    const c = pattern[p];
    if (c === '*') {
      star = p++;
      starName = n;
    } else if (c !== undefined && (c === '?' || c === name[n])) {
      p++;
      n++;
    } else if (star >= 0) {
      p = star + 1;
      n = ++starName;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
