/**
 * Keeps the process's resident memory within the state budget. Window state is what an attacker
 * can grow, and the engine evicts it past an estimated size (src/engine.ts); but V8 collects its
 * old generation lazily, so evicted state lingers as garbage and resident memory can run several
 * times past the live state. When resident memory nears the budget this forces a full collection
 * (at most every `MIN_GC_INTERVAL_MS`), and if that is not enough it lowers the share of the
 * budget the window state may use, so eviction frees more.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const MIN_GC_INTERVAL_MS = 200;
/** Window state (estimated) may use this share of the budget at first: the rest is the runtime's. */
const INITIAL_STATE_SHARE = 0.4;
const MIN_STATE_SHARE = 0.1;

let forcedGc: (() => void) | null | undefined;

/** V8's collector, exposed at run time (`--expose-gc` set now, `gc` taken from a new context). */
function collector(): (() => void) | null {
  if (forcedGc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const gc: unknown = runInNewContext('gc');
      forcedGc = typeof gc === 'function' ? (gc as () => void) : null;
    } catch {
      forcedGc = null;
    }
  }
  return forcedGc;
}

export class MemoryGuard {
  private lastGc = 0;
  private share = INITIAL_STATE_SHARE;
  /** Full collections forced because resident memory neared the budget. */
  collections = 0;

  /**
   * `budgetBytes` is the whole process's; with `partitions` engines in one process (parallel
   * workers) each keeps its share of the state, while resident memory is the process's, whole.
   */
  constructor(private readonly budgetBytes: number, private readonly partitions = 1) {}

  /** Bytes of (estimated) window state this engine may hold now. */
  get stateLimit(): number {
    return (this.budgetBytes * this.share) / this.partitions;
  }

  /** Called every few thousand events. */
  check(): void {
    if (this.budgetBytes <= 0 || process.memoryUsage.rss() < 0.7 * this.budgetBytes) return;
    const now = Date.now();
    if (now - this.lastGc < MIN_GC_INTERVAL_MS) return;
    this.lastGc = now;
    const gc = collector();
    if (gc !== null) {
      gc();
      this.collections++;
    }
    if (process.memoryUsage.rss() >= 0.7 * this.budgetBytes) this.share = Math.max(MIN_STATE_SHARE, this.share * 0.8);
  }
}
