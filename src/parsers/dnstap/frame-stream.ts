/**
 * Frame Streams (the transport of dnstap: `dnstap -w` files, BIND's `dnstap-output`, fstrm
 * sockets), read incrementally from bytes cut anywhere.
 *
 *   data frame      LEN(4, big-endian, > 0) PAYLOAD(LEN)
 *   control frame   ESCAPE(4 zero bytes) CLEN(4) TYPE(4) FIELD*           CLEN ≤ 512
 *   field           FTYPE(4) FLEN(4) VALUE(FLEN)       FTYPE 1 = content type, FLEN ≤ 256
 *
 *   file            START("protobuf:dnstap.Dnstap") data* STOP
 *   socket          sender READY(types) → receiver ACCEPT(type) → START data* STOP → FINISH
 *
 * The reader reports each frame once: a data frame's payload (a view into the pushed bytes when
 * the frame lies in one push, else a buffer assembled once at its exact size, so feeding one byte
 * at a time costs what one big push does), a control frame decoded, or a frame it cannot read.
 * Memory is bounded by `maxFrameBytes`: a longer frame is reported as `frame_too_large` when its
 * length is read and its bytes are then passed over, never held; whatever its length field said
 * (a corrupt one may claim the rest of the stream), the stream resumes after it.
 */

export const CONTENT_TYPE_DNSTAP = 'protobuf:dnstap.Dnstap';

/** Control frame types (Frame Streams). */
export const CONTROL = { ACCEPT: 1, START: 2, STOP: 3, READY: 4, FINISH: 5 } as const;
export type ControlType = (typeof CONTROL)[keyof typeof CONTROL];

const FIELD_CONTENT_TYPE = 1;
/** fstrm's own limits: a control frame and a content type longer than these are protocol errors. */
export const MAX_CONTROL_FRAME_BYTES = 512;
const MAX_CONTENT_TYPE_BYTES = 256;
/** A DNS message is at most 64 KiB, and a dnstap frame carries two plus a little: room to spare. */
export const DEFAULT_MAX_FRAME_BYTES = 256 * 1024;
/** Bytes of a frame that cannot be read kept for quarantine. */
const BAD_FRAME_SAMPLE_BYTES = 256;

export interface ControlFrame {
  type: ControlType;
  /** Content-type fields, in order (latin1). */
  contentTypes: string[];
}

export type BadFrameReason = 'frame_too_large' | 'bad_control_frame' | 'truncated_frame';

export interface FrameHandler {
  /**
   * A data frame. `payload` is valid only during the call (it may be a view into the caller's
   * buffer); with `keepData: false` it is empty and only `length` is known.
   */
  dataFrame(payload: Buffer, length: number, offset: number): void;
  controlFrame(frame: ControlFrame, raw: Buffer, offset: number): void;
  /** A frame that cannot be read; `sample` is its first bytes, `offset` where it starts. */
  badFrame(reason: BadFrameReason, sample: Buffer, offset: number): void;
}

export interface FrameReaderOptions {
  maxFrameBytes?: number;
  /** False: data frames are only measured and passed over (a receiver that forwards raw bytes). */
  keepData?: boolean;
}

const EMPTY = Buffer.alloc(0);

/** What the next bytes are. */
const Want = {
  /** A frame's first 4 bytes: a data length, or the escape. */
  Length: 0,
  /** The 4-byte length of a control frame, after the escape. */
  ControlLength: 1,
  /** `need` more bytes of the frame body. */
  Body: 2,
  /** `need` more bytes to pass over. */
  Skip: 3,
} as const;
type Want = (typeof Want)[keyof typeof Want];

export class FrameStreamReader {
  private readonly maxFrameBytes: number;
  private readonly keepData: boolean;
  private want: Want = Want.Length;
  /** Partial 4-byte length field across pushes. */
  private readonly head = Buffer.alloc(8);
  private headFill = 0;
  /** The frame being read: its kind, source offset, body length, body assembled so far. */
  private control = false;
  private frameOffset = 0;
  private bodyLength = 0;
  private body: Buffer | null = null;
  private bodyFill = 0;
  private need = 0;
  /** Source offset of the next byte to be pushed. */
  private position = 0;

  constructor(options: FrameReaderOptions = {}) {
    this.maxFrameBytes = Math.max(MAX_CONTROL_FRAME_BYTES, options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
    this.keepData = options.keepData ?? true;
  }

  /** Source offset just past the last byte pushed. */
  get offset(): number {
    return this.position;
  }

  /** Whether the reader is between frames (nothing partial held or being passed over). */
  get idle(): boolean {
    return this.want === Want.Length && this.headFill === 0;
  }

  /** The next bytes of the stream; `offset` is the source offset of `data[0]` (default: continues). */
  push(data: Buffer, handler: FrameHandler, offset = this.position): void {
    this.position = offset;
    let i = 0;
    const n = data.length;
    while (i < n) {
      switch (this.want) {
        case Want.Length:
        case Want.ControlLength: {
          if (this.headFill === 0 && this.want === Want.Length) this.frameOffset = this.position + i;
          // A length field is read whole from `data` when it can be, else gathered into `head`.
          const at = this.want === Want.Length ? 0 : 4;
          let value: number;
          if (this.headFill === at && n - i >= 4) {
            value = data.readUInt32BE(i);
            data.copy(this.head, at, i, i + 4);
            i += 4;
          } else {
            const take = Math.min(at + 4 - this.headFill, n - i);
            data.copy(this.head, this.headFill, i, i + take);
            this.headFill += take;
            i += take;
            if (this.headFill < at + 4) break;
            value = this.head.readUInt32BE(at);
          }
          this.headFill = at + 4;
          if (this.want === Want.Length) {
            if (value === 0) {
              this.want = Want.ControlLength;
            } else {
              this.startBody(false, value, data, i, handler);
            }
          } else {
            this.startBody(true, value, data, i, handler);
          }
          break;
        }
        case Want.Body: {
          // Fast path: the whole body is in this push.
          if (this.body === null && n - i >= this.need) {
            const body = data.subarray(i, i + this.need);
            i += this.need;
            this.finishBody(body, handler);
            break;
          }
          this.body ??= Buffer.allocUnsafe(this.bodyLength);
          const take = Math.min(this.need, n - i);
          data.copy(this.body, this.bodyFill, i, i + take);
          this.bodyFill += take;
          this.need -= take;
          i += take;
          if (this.need === 0) this.finishBody(this.body, handler);
          break;
        }
        case Want.Skip: {
          const take = Math.min(this.need, n - i);
          this.need -= take;
          i += take;
          if (this.need === 0) this.reset();
          break;
        }
      }
    }
    this.position = offset + n;
  }

  /**
   * End of the stream: a frame cut short is reported as `truncated_frame` (one passed over as too
   * large was reported already). The reader is then ready for a new stream at offset 0.
   */
  end(handler: FrameHandler, stopped = false): void {
    // A source stopped before its end cut the frame it was reading, which is not a truncated frame.
    const partial = this.want !== Want.Skip && !this.idle && !stopped;
    if (partial) {
      const parts: Buffer[] = [this.head.subarray(0, this.headFill)];
      if (this.body !== null) parts.push(this.body.subarray(0, Math.min(this.bodyFill, BAD_FRAME_SAMPLE_BYTES)));
      handler.badFrame('truncated_frame', Buffer.concat(parts), this.frameOffset);
    }
    this.reset();
    this.position = 0;
  }

  private startBody(control: boolean, length: number, data: Buffer, i: number, handler: FrameHandler): void {
    this.control = control;
    this.bodyLength = length;
    const tooLarge = length > this.maxFrameBytes;
    const badControl = control && (length < 4 || length > MAX_CONTROL_FRAME_BYTES);
    if (tooLarge || badControl) {
      const sample = Buffer.concat([this.head.subarray(0, this.headFill), data.subarray(i, i + Math.min(length, BAD_FRAME_SAMPLE_BYTES))]);
      handler.badFrame(tooLarge ? 'frame_too_large' : 'bad_control_frame', sample, this.frameOffset);
      this.passOver(length);
      return;
    }
    if (!control && !this.keepData) {
      handler.dataFrame(EMPTY, length, this.frameOffset);
      this.passOver(length);
      return;
    }
    this.want = Want.Body;
    this.need = length;
    this.body = null;
    this.bodyFill = 0;
  }

  private passOver(length: number): void {
    this.headFill = 0;
    this.body = null;
    if (length === 0) {
      this.reset();
    } else {
      this.want = Want.Skip;
      this.need = length;
    }
  }

  private finishBody(body: Buffer, handler: FrameHandler): void {
    const control = this.control;
    const offset = this.frameOffset;
    const headBytes = this.headFill;
    if (!control) {
      this.reset();
      handler.dataFrame(body, body.length, offset);
      return;
    }
    const raw = Buffer.concat([this.head.subarray(0, headBytes), body]);
    this.reset();
    const frame = decodeControl(body);
    if (frame === null) handler.badFrame('bad_control_frame', raw, offset);
    else handler.controlFrame(frame, raw, offset);
  }

  private reset(): void {
    this.want = Want.Length;
    this.headFill = 0;
    this.body = null;
    this.bodyFill = 0;
    this.need = 0;
  }
}

/** A control frame's body (type and fields), or null when it breaks the format. */
export function decodeControl(body: Buffer): ControlFrame | null {
  if (body.length < 4) return null;
  const type = body.readUInt32BE(0);
  if (type < CONTROL.ACCEPT || type > CONTROL.FINISH) return null;
  const contentTypes: string[] = [];
  let i = 4;
  while (i < body.length) {
    if (body.length - i < 8) return null;
    const fieldType = body.readUInt32BE(i);
    const fieldLength = body.readUInt32BE(i + 4);
    i += 8;
    if (fieldLength > body.length - i) return null;
    if (fieldType === FIELD_CONTENT_TYPE) {
      if (fieldLength > MAX_CONTENT_TYPE_BYTES) return null;
      contentTypes.push(body.toString('latin1', i, i + fieldLength));
    }
    i += fieldLength;
  }
  return { type: type as ControlType, contentTypes };
}

/** A whole control frame, escape and length included, ready to write to a socket or file. */
export function encodeControl(type: ControlType, contentTypes: readonly string[] = []): Buffer {
  let bodyLength = 4;
  for (const ct of contentTypes) bodyLength += 8 + Buffer.byteLength(ct, 'latin1');
  const frame = Buffer.alloc(8 + bodyLength);
  frame.writeUInt32BE(0, 0);
  frame.writeUInt32BE(bodyLength, 4);
  frame.writeUInt32BE(type, 8);
  let i = 12;
  for (const ct of contentTypes) {
    frame.writeUInt32BE(FIELD_CONTENT_TYPE, i);
    frame.writeUInt32BE(Buffer.byteLength(ct, 'latin1'), i + 4);
    i += 8 + frame.write(ct, i + 8, 'latin1');
  }
  return frame;
}

/** A data frame: the 4-byte length and the payload. */
export function encodeData(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(4 + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.set(payload, 4);
  return frame;
}

/**
 * Whether `sample` starts like a dnstap Frame Streams file: the escape, a control-frame length
 * within fstrm's limit, START, and the dnstap content type as its first field.
 */
export function looksLikeDnstap(sample: Buffer): boolean {
  if (sample.length < 12 || sample.readUInt32BE(0) !== 0) return false;
  const length = sample.readUInt32BE(4);
  if (length < 4 || length > MAX_CONTROL_FRAME_BYTES || sample.readUInt32BE(8) !== CONTROL.START) return false;
  const expected = Buffer.from(CONTENT_TYPE_DNSTAP, 'latin1');
  if (sample.length < 20 + expected.length || length < 12 + expected.length) return false;
  return (
    sample.readUInt32BE(12) === FIELD_CONTENT_TYPE &&
    sample.readUInt32BE(16) === expected.length &&
    sample.subarray(20, 20 + expected.length).equals(expected)
  );
}
