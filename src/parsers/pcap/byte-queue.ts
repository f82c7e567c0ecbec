/**
 * The bytes of a source that have arrived but not been decoded yet. Sources cut the input
 * anywhere (text chunks end at newline bytes, which a capture holds at random), so a record may
 * arrive in any number of pieces; records are read from here once they are whole.
 *
 * A record that lies inside one piece is handed out as a view (no copy); only a record that
 * spans pieces is copied together. What is left over after a push is copied out of a large
 * parent buffer, so a few leftover bytes do not keep a megabyte read buffer alive.
 */
export class ByteQueue {
  private parts: Buffer[] = [];
  /** Read position inside parts[0]. */
  private head = 0;
  /** Bytes queued. */
  length = 0;
  /** Source offset of the first queued byte. */
  offset = 0;

  append(data: Buffer): void {
    if (data.length === 0) return;
    this.parts.push(data);
    this.length += data.length;
  }

  /** The first `n` queued bytes as one buffer, or null when fewer are queued. Valid until the next call. */
  peek(n: number): Buffer | null {
    if (n > this.length) return null;
    const first = this.parts[0];
    if (first === undefined) return n === 0 ? Buffer.alloc(0) : null;
    if (first.length - this.head >= n) return first.subarray(this.head, this.head + n);
    this.merge();
    return this.parts[0]!.subarray(0, n);
  }

  /** Drops `n` bytes from the front; at most what is queued. Returns how many were dropped. */
  consume(n: number): number {
    let left = Math.min(n, this.length);
    const dropped = left;
    while (left > 0) {
      const first = this.parts[0]!;
      const here = first.length - this.head;
      if (here > left) {
        this.head += left;
        break;
      }
      left -= here;
      this.parts.shift();
      this.head = 0;
    }
    this.length -= dropped;
    this.offset += dropped;
    if (this.length === 0) {
      this.parts = [];
      this.head = 0;
    }
    return dropped;
  }

  /** Everything queued, as one buffer (for quarantine), without consuming it. */
  all(): Buffer {
    return this.peek(this.length) ?? Buffer.alloc(0);
  }

  /** Copies the leftover out of large parent buffers; call at the end of a push. */
  detach(): void {
    if (this.length === 0) return;
    const large = this.parts.some((p) => p.buffer.byteLength > 65_536 && p.buffer.byteLength > 2 * this.length);
    if (!large) return;
    this.parts = [Buffer.from(this.all())];
    this.head = 0;
  }

  clear(offset: number): void {
    this.parts = [];
    this.head = 0;
    this.length = 0;
    this.offset = offset;
  }

  private merge(): void {
    const first = this.parts[0]!;
    const pieces = this.head === 0 ? this.parts : [first.subarray(this.head), ...this.parts.slice(1)];
    this.parts = [Buffer.concat(pieces, this.length)];
    this.head = 0;
  }
}
