/**
 * Reads the packet records out of a capture file, fed in pieces of any size:
 *
 *   classic pcap   [global header 24] ([record header 16 (24 modified)] [captured bytes])*
 *                  magic a1b2c3d4 (µs) / a1b23c4d (ns) / a1b2cd34 (Kuznetzov), either byte order
 *   pcapng         ([type 4][total length 4][body][total length 4])*, sections opened by an SHB
 *                  whose byte-order magic sets the order of the blocks after it; IDBs declare
 *                  interfaces (link type, timestamp resolution and offset); EPB, SPB and the
 *                  obsolete OPB carry packets; every other block is skipped by its length
 *
 * Packets go to the sink with their link type, capture time and the offset of their record;
 * problems with the file itself (bad magic, impossible lengths, a cut-off last record) go to
 * `bad`. After an impossible length nothing later in the source can be framed, so the rest of
 * the source is dropped, as libpcap and Wireshark stop there.
 */
import type { Rejection } from '../parser.js';
import { ByteQueue } from './byte-queue.js';
import { PCAP } from './reasons.js';

export interface CaptureSink {
  /** One captured packet: `data` is valid only during the call. `time` is epoch ms (NaN when the record has none). */
  packet(linkType: number, data: Buffer, originalLength: number, time: number, offset: number): void;
  /** Bytes at `offset` that are not a readable record. */
  bad(reason: Rejection, raw: Buffer, offset: number): void;
}

/** libpcap's largest snapshot length: a longer record means the file is damaged. */
export const MAX_PACKET_BYTES = 262_144;
/** Largest pcapng block read into memory; longer packet blocks are skipped unread. */
const MAX_BLOCK_BYTES = 1 << 20;

const PCAPNG_SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BLOCK = { idb: 1, opb: 2, spb: 3, nrb: 4, isb: 5, epb: 6, journal: 9, dsb: 10, custom: 0xbad, customNoCopy: 0x40000bad, darwinProcess: 0x80000001 } as const;

interface Interface {
  linkType: number;
  snapLength: number;
  /** Timestamp units per second (if_tsresol). */
  unitsPerSecond: number;
  /** Seconds added to every timestamp (if_tsoffset). */
  offsetSeconds: number;
}

type Mode = 'start' | 'pcap' | 'pcapng' | 'stopped';

export class CaptureFileReader {
  private readonly queue = new ByteQueue();
  private mode: Mode = 'start';
  private fresh = true;
  private little = true;
  // classic pcap
  private nanos = false;
  private recordHeaderBytes = 16;
  private linkType = 0;
  // pcapng
  private interfaces: Interface[] = [];
  /** Bytes of a block still to skip unread, and where that block began. */
  private skipping = 0;
  private skippedBlockAt = 0;
  /** Time of the last timestamped packet, for SPBs (which carry none). */
  private lastTime = NaN;

  constructor(private readonly sink: CaptureSink) {}

  push(data: Buffer, offset: number): void {
    if (this.fresh) {
      this.queue.clear(offset);
      this.fresh = false;
    }
    if (this.mode === 'stopped') return;
    this.queue.append(data);
    this.drain();
    this.queue.detach();
  }

  /**
   * End of the source: a record cut off by the end of the file is reported (unless the source was
   * `stopped` before its end: then it is only the part read so far); ready for the next source.
   */
  end(stopped = false): void {
    const q = this.queue;
    if (this.mode !== 'stopped' && !stopped) {
      if (this.skipping > 0) this.sink.bad(PCAP.truncatedFile, Buffer.alloc(0), this.skippedBlockAt);
      else if (q.length > 0) this.sink.bad(PCAP.truncatedFile, q.all(), q.offset);
    }
    this.mode = 'start';
    this.fresh = true;
    this.interfaces = [];
    this.skipping = 0;
    this.lastTime = NaN;
    q.clear(0);
  }

  private drain(): void {
    for (;;) {
      if (this.skipping > 0) {
        this.skipping -= this.queue.consume(this.skipping);
        if (this.skipping > 0) return;
      }
      let progressed: boolean;
      switch (this.mode) {
        case 'start':
          progressed = this.readMagic();
          break;
        case 'pcap':
          progressed = this.readPcapRecord();
          break;
        case 'pcapng':
          progressed = this.readBlock();
          break;
        default:
          return;
      }
      if (!progressed) return;
    }
  }

  /** Stops reading this source: what is queued is shown as the bad record. */
  private stop(reason: Rejection): false {
    const q = this.queue;
    this.sink.bad(reason, q.peek(Math.min(q.length, 4096)) ?? Buffer.alloc(0), q.offset);
    q.clear(q.offset + q.length);
    this.mode = 'stopped';
    return false;
  }

  private readMagic(): boolean {
    const head = this.queue.peek(4);
    if (head === null) return false;
    const magic = head.readUInt32BE(0);
    if (magic === PCAPNG_SHB) {
      this.mode = 'pcapng';
      return true;
    }
    const swapped = head.readUInt32LE(0);
    const known = (m: number): boolean => m === 0xa1b2c3d4 || m === 0xa1b23c4d || m === 0xa1b2cd34;
    if (!known(magic) && !known(swapped)) return this.stop(PCAP.badMagic);
    const header = this.queue.peek(24);
    if (header === null) return false;
    this.little = !known(magic);
    const m = this.little ? swapped : magic;
    this.nanos = m === 0xa1b23c4d;
    this.recordHeaderBytes = m === 0xa1b2cd34 ? 24 : 16;
    // The upper bits of the link type field carry FCS information, not the type.
    this.linkType = this.u32(header, 20) & 0x03ffffff;
    this.queue.consume(24);
    this.mode = 'pcap';
    return true;
  }

  private readPcapRecord(): boolean {
    const q = this.queue;
    const header = q.peek(this.recordHeaderBytes);
    if (header === null) return false;
    const captured = this.u32(header, 8);
    if (captured > MAX_PACKET_BYTES) return this.stop(PCAP.badRecordLength);
    const record = q.peek(this.recordHeaderBytes + captured);
    if (record === null) return false;
    const seconds = this.u32(record, 0);
    const fraction = this.u32(record, 4);
    const time = seconds * 1000 + (this.nanos ? fraction / 1e6 : fraction / 1000);
    const offset = q.offset;
    this.sink.packet(this.linkType, record.subarray(this.recordHeaderBytes), this.u32(record, 12), time, offset);
    q.consume(this.recordHeaderBytes + captured);
    return true;
  }

  private readBlock(): boolean {
    const q = this.queue;
    const head = q.peek(12);
    if (head === null) {
      // A block shorter than 12 bytes cannot be valid, but it may be the last one: wait for end().
      return false;
    }
    let type = this.u32(head, 0);
    if (type === PCAPNG_SHB) {
      const order = head.readUInt32LE(8);
      if (order === BYTE_ORDER_MAGIC) this.little = true;
      else if (head.readUInt32BE(8) === BYTE_ORDER_MAGIC) this.little = false;
      else return this.stop(PCAP.badBlock);
      type = PCAPNG_SHB;
    }
    const length = this.u32(head, 4);
    if (length < 12 || length % 4 !== 0) return this.stop(PCAP.badBlock);
    const offset = q.offset;
    const isPacket = type === BLOCK.epb || type === BLOCK.spb || type === BLOCK.opb;
    if (type === PCAPNG_SHB || type === BLOCK.idb || isPacket) {
      if (length > MAX_BLOCK_BYTES) {
        if (!isPacket) return this.stop(PCAP.badBlock);
        this.sink.bad(PCAP.badBlock, head, offset);
        return this.skipBlock(length, offset);
      }
      const block = q.peek(length);
      if (block === null) return false;
      if (this.u32(block, length - 4) !== length) return this.stop(PCAP.badBlock);
      if (type === PCAPNG_SHB) this.readSectionHeader(block, offset);
      else if (type === BLOCK.idb) this.readInterface(block, offset);
      else this.readPacketBlock(type, block, offset);
      q.consume(length);
      return true;
    }
    if (!isKnownMetadata(type)) this.sink.bad(PCAP.unknownBlock, head, offset);
    return this.skipBlock(length, offset);
  }

  private skipBlock(length: number, offset: number): boolean {
    this.skippedBlockAt = offset;
    this.skipping = length;
    return true;
  }

  private readSectionHeader(block: Buffer, offset: number): void {
    // A new section starts afresh: its interfaces are numbered from 0 again.
    this.interfaces = [];
    if (block.length < 28) this.sink.bad(PCAP.badBlock, block, offset);
  }

  private readInterface(block: Buffer, offset: number): void {
    if (block.length < 20) {
      this.sink.bad(PCAP.badBlock, block, offset);
      // Keep the numbering of later interfaces right; packets on this one are reported as unknown.
      this.interfaces.push({ linkType: -1, snapLength: 0, unitsPerSecond: 1e6, offsetSeconds: 0 });
      return;
    }
    const iface: Interface = { linkType: this.u16(block, 8), snapLength: this.u32(block, 12), unitsPerSecond: 1e6, offsetSeconds: 0 };
    // Options: code 2, length 2, value padded to 4; code 0 ends them.
    let p = 16;
    const end = block.length - 4;
    while (p + 4 <= end) {
      const code = this.u16(block, p);
      const len = this.u16(block, p + 2);
      if (code === 0 || p + 4 + len > end) break;
      if (code === 9 && len >= 1) {
        const v = block[p + 4]!;
        const units = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
        if (Number.isFinite(units) && units >= 1) iface.unitsPerSecond = units;
      } else if (code === 14 && len >= 8) {
        const high = this.little ? block.readInt32LE(p + 8) : block.readInt32BE(p + 4);
        const low = this.little ? block.readUInt32LE(p + 4) : block.readUInt32BE(p + 8);
        iface.offsetSeconds = high * 4294967296 + low;
      }
      p += 4 + ((len + 3) & ~3);
    }
    this.interfaces.push(iface);
  }

  private readPacketBlock(type: number, block: Buffer, offset: number): void {
    const length = block.length;
    if (type === BLOCK.spb) {
      const iface = this.interfaces[0];
      if (length < 16 || iface === undefined || iface.linkType < 0) {
        this.sink.bad(length < 16 ? PCAP.badBlock : PCAP.unknownInterface, block, offset);
        return;
      }
      const original = this.u32(block, 8);
      let captured = Math.min(original, length - 16);
      if (iface.snapLength > 0) captured = Math.min(captured, iface.snapLength);
      this.sink.packet(iface.linkType, block.subarray(12, 12 + captured), original, this.lastTime, offset);
      return;
    }
    if (length < 32) {
      this.sink.bad(PCAP.badBlock, block, offset);
      return;
    }
    const ifaceId = type === BLOCK.opb ? this.u16(block, 8) : this.u32(block, 8);
    const iface = this.interfaces[ifaceId];
    if (iface === undefined || iface.linkType < 0) {
      this.sink.bad(PCAP.unknownInterface, block, offset);
      return;
    }
    const captured = this.u32(block, 20);
    if (captured > length - 32) {
      this.sink.bad(PCAP.badBlock, block, offset);
      return;
    }
    const time = timestampMs(this.u32(block, 12), this.u32(block, 16), iface);
    this.lastTime = time;
    this.sink.packet(iface.linkType, block.subarray(28, 28 + captured), this.u32(block, 24), time, offset);
  }

  private u32(b: Buffer, at: number): number {
    return this.little ? b.readUInt32LE(at) : b.readUInt32BE(at);
  }

  private u16(b: Buffer, at: number): number {
    return this.little ? b.readUInt16LE(at) : b.readUInt16BE(at);
  }
}

/**
 * Epoch ms of a pcapng timestamp, split into whole seconds and a fraction first so that it is the
 * same double as classic pcap's `seconds * 1000 + fraction / 1000` for the same instant (the
 * tests compare a pcap and its pcapng copy). Nanosecond counts pass 2^53 and are split exactly.
 */
function timestampMs(high: number, low: number, iface: Interface): number {
  const perSecond = iface.unitsPerSecond;
  let seconds: number;
  let fraction: number;
  if (high < 0x200000) {
    const units = high * 4294967296 + low;
    seconds = Math.floor(units / perSecond);
    fraction = units - seconds * perSecond;
  } else if (Number.isSafeInteger(perSecond)) {
    const units = (BigInt(high) << 32n) | BigInt(low);
    const whole = units / BigInt(perSecond);
    seconds = Number(whole);
    fraction = Number(units - whole * BigInt(perSecond));
  } else {
    seconds = (high * 4294967296 + low) / perSecond;
    fraction = 0;
  }
  const fractionMs = perSecond >= 1000 && perSecond % 1000 === 0 ? fraction / (perSecond / 1000) : (fraction * 1000) / perSecond;
  return (seconds + iface.offsetSeconds) * 1000 + fractionMs;
}

function isKnownMetadata(type: number): boolean {
  return type === BLOCK.nrb || type === BLOCK.isb || type === BLOCK.journal || type === BLOCK.dsb || type === BLOCK.custom || type === BLOCK.customNoCopy || type === BLOCK.darwinProcess;
}
