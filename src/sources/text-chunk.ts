/**
 * Sources hand the pipeline chunks of whole lines. Bytes are decoded as
 * latin1 so one character is one byte: offsets stay byte offsets (what a
 * checkpoint needs), and any byte an attacker writes survives decoding.
 */
export interface TextChunk {
  /** Whole lines, each ending in `\n` except possibly the last line of a finished source. */
  text: string;
  /** Byte offset of `text[0]` in the source. */
  offset: number;
}

/** Cuts a byte stream into chunks of whole lines, carrying the partial tail to the next buffer. */
export class LineChunker {
  private pending: Buffer | null = null;

  constructor(private offset = 0, private readonly maxPendingBytes = 1 << 20) {}

  /**
   * Returns the complete lines in `pending + data`, or null if there is none yet.
   * A line longer than `maxPendingBytes` is cut there (the parser quarantines it as too long), so one
   * newline-free flood cannot grow memory without bound.
   */
  push(data: Buffer): TextChunk | null {
    const buf = this.pending === null ? data : Buffer.concat([this.pending, data]);
    let cut = buf.lastIndexOf(0x0a) + 1;
    if (cut === 0) {
      if (buf.length <= this.maxPendingBytes) {
        this.pending = buf;
        return null;
      }
      cut = buf.length;
    }
    this.pending = cut < buf.length ? buf.subarray(cut) : null;
    return this.emit(buf.toString('latin1', 0, cut));
  }

  /** End of input: the unterminated last line, if any. */
  end(): TextChunk | null {
    const rest = this.pending;
    this.pending = null;
    return rest === null || rest.length === 0 ? null : this.emit(rest.toString('latin1'));
  }

  /** Byte offset just past the last byte handed out. */
  get position(): number {
    return this.offset;
  }

  private emit(text: string): TextChunk {
    const chunk: TextChunk = { text, offset: this.offset };
    this.offset += text.length;
    return chunk;
  }
}
