/** An event-time sliding window: every `slideMs`, a window of `lengthMs` starts (epoch-aligned, as Spark's `window()`). */
export interface WindowSpec {
  /** Display and reference name, e.g. `10m/5m`. */
  name: string;
  lengthMs: number;
  slideMs: number;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `500ms`, `90s`, `10m`, `1h`, `1d`; returns NaN for anything else. */
export function parseDuration(text: string): number {
  let i = 0;
  while (i < text.length && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
  if (i === 0 || i > 12) return NaN;
  const unit = UNIT_MS[text.slice(i)];
  return unit === undefined ? NaN : Number(text.slice(0, i)) * unit;
}

export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export function windowSpec(lengthMs: number, slideMs: number): WindowSpec {
  return { name: `${formatDuration(lengthMs)}/${formatDuration(slideMs)}`, lengthMs, slideMs };
}

/** Start of the latest window containing t; the others start every `slideMs` before it while `start + lengthMs > t`. */
export function latestWindowStart(t: number, spec: WindowSpec): number {
  return Math.floor(t / spec.slideMs) * spec.slideMs;
}
