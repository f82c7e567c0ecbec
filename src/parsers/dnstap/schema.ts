/**
 * The dnstap protobuf schema (dnstap.proto of github.com/dnstap/dnstap.pb, proto2, package
 * `dnstap`), written out as a protobufjs JSON descriptor: field numbers, types and rules as
 * published. It lives in TypeScript rather than a .proto file so that it ships inside dist (tsc
 * copies no other files) and needs no parsing at start-up. Names are camelCase, as protobufjs
 * names decoded fields; the wire only knows the numbers.
 */
import protobuf from 'protobufjs';

const descriptor: protobuf.INamespace = {
  nested: {
    dnstap: {
      nested: {
        Dnstap: {
          fields: {
            identity: { type: 'bytes', id: 1 },
            version: { type: 'bytes', id: 2 },
            extra: { type: 'bytes', id: 3 },
            message: { type: 'Message', id: 14 },
            type: { rule: 'required', type: 'Type', id: 15 },
          },
          nested: { Type: { values: { MESSAGE: 1 } } },
        },
        SocketFamily: { values: { INET: 1, INET6: 2 } },
        SocketProtocol: { values: { UDP: 1, TCP: 2, DOT: 3, DOH: 4, DNSCryptUDP: 5, DNSCryptTCP: 6, DOQ: 7 } },
        HttpProtocol: { values: { HTTP1: 1, HTTP2: 2, HTTP3: 3 } },
        Policy: {
          fields: {
            type: { type: 'string', id: 1 },
            rule: { type: 'bytes', id: 2 },
            action: { type: 'Action', id: 3 },
            match: { type: 'Match', id: 4 },
            value: { type: 'bytes', id: 5 },
          },
          nested: {
            Match: { values: { QNAME: 1, CLIENT_IP: 2, RESPONSE_IP: 3, NS_NAME: 4, NS_IP: 5 } },
            Action: { values: { NXDOMAIN: 1, NODATA: 2, PASS: 3, DROP: 4, TRUNCATE: 5, LOCAL_DATA: 6 } },
          },
        },
        Message: {
          fields: {
            type: { rule: 'required', type: 'Type', id: 1 },
            socketFamily: { type: 'SocketFamily', id: 2 },
            socketProtocol: { type: 'SocketProtocol', id: 3 },
            queryAddress: { type: 'bytes', id: 4 },
            responseAddress: { type: 'bytes', id: 5 },
            queryPort: { type: 'uint32', id: 6 },
            responsePort: { type: 'uint32', id: 7 },
            queryTimeSec: { type: 'uint64', id: 8 },
            queryTimeNsec: { type: 'fixed32', id: 9 },
            queryMessage: { type: 'bytes', id: 10 },
            queryZone: { type: 'bytes', id: 11 },
            responseTimeSec: { type: 'uint64', id: 12 },
            responseTimeNsec: { type: 'fixed32', id: 13 },
            responseMessage: { type: 'bytes', id: 14 },
            policy: { type: 'Policy', id: 15 },
            httpProtocol: { type: 'HttpProtocol', id: 16 },
          },
          nested: {
            Type: {
              values: {
                AUTH_QUERY: 1,
                AUTH_RESPONSE: 2,
                RESOLVER_QUERY: 3,
                RESOLVER_RESPONSE: 4,
                CLIENT_QUERY: 5,
                CLIENT_RESPONSE: 6,
                FORWARDER_QUERY: 7,
                FORWARDER_RESPONSE: 8,
                STUB_QUERY: 9,
                STUB_RESPONSE: 10,
                TOOL_QUERY: 11,
                TOOL_RESPONSE: 12,
                UPDATE_QUERY: 13,
                UPDATE_RESPONSE: 14,
              },
            },
          },
        },
      },
    },
  },
};

/** The `dnstap.Dnstap` message type (the payload of every data frame). */
export const DnstapType: protobuf.Type = protobuf.Root.fromJSON(descriptor).lookupType('dnstap.Dnstap');

/** `Dnstap.Type.MESSAGE`: the only payload kind defined. */
export const DNSTAP_MESSAGE = 1;

/** `Message.Type` numbers. */
export const MESSAGE_TYPE = {
  AUTH_QUERY: 1,
  AUTH_RESPONSE: 2,
  RESOLVER_QUERY: 3,
  RESOLVER_RESPONSE: 4,
  CLIENT_QUERY: 5,
  CLIENT_RESPONSE: 6,
  FORWARDER_QUERY: 7,
  FORWARDER_RESPONSE: 8,
  STUB_QUERY: 9,
  STUB_RESPONSE: 10,
  TOOL_QUERY: 11,
  TOOL_RESPONSE: 12,
  UPDATE_QUERY: 13,
  UPDATE_RESPONSE: 14,
} as const;

/** `SocketProtocol` numbers that matter here (TCP-carried queries get BIND's `T` flag). */
export const SOCKET_PROTOCOL_TCP = 2;

/** protobufjs decodes uint64 as a Long when the `long` package is present, else as a number. */
type Uint64 = number | { toNumber(): number };

/** A decoded `dnstap.Message`, as far as tunnelwatch reads it; absent fields are undefined. */
export interface DnstapMessage {
  type: number;
  socketProtocol?: number;
  queryAddress?: Uint8Array;
  responseAddress?: Uint8Array;
  queryPort?: number;
  responsePort?: number;
  queryTimeSec?: Uint64;
  queryTimeNsec?: number;
  queryMessage?: Uint8Array;
  responseTimeSec?: Uint64;
  responseTimeNsec?: number;
  responseMessage?: Uint8Array;
}

export interface DnstapFrame {
  type: number;
  message?: DnstapMessage;
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Decodes one data frame's payload; throws (protobufjs' errors) when it is not a well-formed
 * `dnstap.Dnstap`. protobufjs puts defaults on the prototype and only fields present on the wire
 * on the object, so presence is `hasOwnProperty`; absent fields are returned as undefined.
 */
export function decodeDnstap(payload: Uint8Array): DnstapFrame {
  const decoded = DnstapType.decode(payload) as unknown as Record<string, unknown>;
  const frame: DnstapFrame = { type: decoded.type as number };
  if (hasOwn.call(decoded, 'message') && decoded.message !== null) {
    const m = decoded.message as Record<string, unknown>;
    const out: DnstapMessage = { type: m.type as number };
    for (const key of MESSAGE_KEYS) if (hasOwn.call(m, key)) (out as unknown as Record<string, unknown>)[key] = m[key];
    frame.message = out;
  }
  return frame;
}

const MESSAGE_KEYS = [
  'socketProtocol',
  'queryAddress',
  'responseAddress',
  'queryPort',
  'responsePort',
  'queryTimeSec',
  'queryTimeNsec',
  'queryMessage',
  'responseTimeSec',
  'responseTimeNsec',
  'responseMessage',
] as const;

/** Seconds and nanoseconds to epoch milliseconds (integer, nanoseconds truncated as dnstap-read does). */
export function epochMs(sec: Uint64 | undefined, nsec: number | undefined): number {
  if (sec === undefined) return NaN;
  const s = typeof sec === 'number' ? sec : sec.toNumber();
  return s * 1000 + Math.floor((nsec ?? 0) / 1e6);
}

/** Seconds and nanoseconds to epoch milliseconds with the sub-millisecond part kept (for latency). */
export function epochMsExact(sec: Uint64 | undefined, nsec: number | undefined): number {
  if (sec === undefined) return NaN;
  const s = typeof sec === 'number' ? sec : sec.toNumber();
  return s * 1000 + (nsec ?? 0) / 1e6;
}
