/**
 * The batch progress line for `detect` on files: bytes, lines per second and
 * ETA, redrawn in place on a terminal, silent otherwise (pipes, CI, follow
 * mode, stdin).
 */

export interface ProgressState {
  bytesDone: number;
  bytesTotal: number;
  lines: number;
  elapsedMs: number;
}

const WIDTH = 24;

function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(bytes < 10 * 1048576 ? 1 : 0);
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

/** One line, no newline: `[#########---------------]  38%  110/291 MiB  241k lines/s  ETA 0:07`. */
export function renderProgress(p: ProgressState): string {
  const fraction = p.bytesTotal > 0 ? Math.min(1, p.bytesDone / p.bytesTotal) : 0;
  const filled = Math.round(fraction * WIDTH);
  const seconds = p.elapsedMs / 1000;
  const rate = seconds > 0 ? p.lines / seconds : 0;
  const byteRate = seconds > 0 ? p.bytesDone / seconds : 0;
  const eta = byteRate > 0 ? (p.bytesTotal - p.bytesDone) / byteRate : NaN;
  const rateText = rate >= 1000 ? `${Math.round(rate / 1000)}k` : String(Math.round(rate));
  return (
    `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ` +
    `${mib(p.bytesDone)}/${mib(p.bytesTotal)} MiB  ${rateText} lines/s  ETA ${clock(eta)}`
  );
}

/** Redraws the progress line on `stream` every `everyMs` while started; does nothing unless `stream` is a terminal. */
export class ProgressMeter {
  private timer: NodeJS.Timeout | null = null;
  private readonly started = performance.now();

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly read: () => { bytesDone: number; lines: number },
    private readonly bytesTotal: number,
    private readonly everyMs = 250,
  ) {}

  start(): void {
    if (!this.stream.isTTY || this.bytesTotal <= 0) return;
    this.timer = setInterval(() => this.draw(), this.everyMs);
    this.timer.unref();
  }

  /** Clears the line so the summary starts on a clean one. */
  stop(): void {
    if (this.timer === null) return;
    clearInterval(this.timer);
    this.timer = null;
    this.stream.write('\r\x1b[2K');
  }

  private draw(): void {
    const { bytesDone, lines } = this.read();
    this.stream.write(`\r\x1b[2K${renderProgress({ bytesDone, bytesTotal: this.bytesTotal, lines, elapsedMs: performance.now() - this.started })}`);
  }
}
