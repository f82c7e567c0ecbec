/**
 * Sources hand the pipeline chunks of whole lines as bytes. The pipeline
 * decodes each line on its own (latin1: one character per byte, so offsets
 * stay byte offsets and any byte an attacker writes survives decoding). Per
 * line, not per chunk: V8 substrings point into their parent string, so
 * names kept in window state would otherwise pin whole megabyte chunks.
 */
export interface TextChunk {
  /** Whole lines, each ending in `\n` except possibly the last line of a finished source. */
  data: Buffer;
  /** Byte offset of `data[0]` in the source (in `stream`, when set). */
  offset: number;
  /** For file sources: which file the bytes are from, so a checkpoint can resume after them. */
  file?: FileOrigin;
  /**
   * A source that multiplexes byte streams (the dnstap receiver: one per connection) names the
   * stream of this chunk; record decoders keep each stream's state apart. Default: the source.
   */
  stream?: string;
  /** `stream` ends after `data` (a connection closed): record decoders flush what it left. */
  endOfStream?: boolean;
}

/**
 * A file's identity and where its bytes sit in the source's offsets: file byte `k` is source
 * offset `base + k` (a followed file's offsets keep growing across rotations).
 */
export interface FileOrigin {
  dev: number;
  ino: number;
  base: number;
}

/** Where a file source resumes: after `fileOffset` bytes of the file with this identity. */
export interface ResumePoint extends FileOrigin {
  fileOffset: number;
}

/** Cuts a byte stream into chunks of whole lines, carrying the partial tail to the next buffer. */
export class LineChunker {
  private pending: Buffer | null = null;

  constructor(private offset = 0, private readonly maxPendingBytes = 1 << 20, private readonly file?: FileOrigin) {}

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
    return this.emit(buf.subarray(0, cut));
  }

  /** End of input: the unterminated last line, if any. */
  end(): TextChunk | null {
    const rest = this.pending;
    this.pending = null;
    return rest === null || rest.length === 0 ? null : this.emit(rest);
  }

  /** Byte offset just past the last byte handed out. */
  get position(): number {
    return this.offset;
  }

  private emit(data: Buffer): TextChunk {
    const chunk: TextChunk = this.file === undefined ? { data, offset: this.offset } : { data, offset: this.offset, file: this.file };
    this.offset += data.length;
    return chunk;
  }
}
