/**
 * Several live sources read as one (a resolver fleet sending syslog over UDP and TCP at once):
 * chunks are handed on as each source produces them, each marked with its source's name as its
 * stream so positions still say which listener a line came from. Ends when every source has.
 */
import type { SourceCounters } from '../counters.js';
import type { LineSource } from './source.js';
import type { TextChunk } from './text-chunk.js';

export class MergedSource implements LineSource {
  readonly name: string;

  constructor(private readonly sources: readonly LineSource[]) {
    this.name = sources.map((s) => s.name).join('+');
  }

  get counters(): SourceCounters {
    const sum = { read: 0, bytes: 0, errors: 0 };
    for (const s of this.sources) {
      sum.read += s.counters.read;
      sum.bytes += s.counters.bytes;
      sum.errors += s.counters.errors;
    }
    return sum;
  }

  stop(): void {
    for (const s of this.sources) s.stop();
  }

  async *chunks(): AsyncGenerator<TextChunk> {
    const iterators = this.sources.map((s) => s.chunks()[Symbol.asyncIterator]());
    const next = (i: number): Promise<{ i: number; r: IteratorResult<TextChunk> }> => iterators[i]!.next().then((r) => ({ i, r }));
    const pending = new Map(iterators.map((_, i) => [i, next(i)]));
    try {
      while (pending.size > 0) {
        const { i, r } = await Promise.race(pending.values());
        if (r.done === true) {
          pending.delete(i);
          continue;
        }
        pending.set(i, next(i));
        yield { ...r.value, stream: r.value.stream ?? this.sources[i]!.name };
      }
    } finally {
      for (const it of iterators) await it.return?.();
    }
  }
}
