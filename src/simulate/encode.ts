/** Payload encodings that DNS tunnels use to fit bytes into hostname labels. */

/** RFC 4648 base32 alphabet, lower-case (as iodine-style tools send it; DNS is case-insensitive anyway). */
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** RFC 4648 §5 base64url alphabet: DNS-safe, nothing in it needs escaping. */
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const HEX = '0123456789abcdef';

export type PayloadEncoding = 'base32' | 'hex' | 'base64';

/** Base32 (RFC 4648 alphabet, lower-case), no padding. */
export function encodeBase32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < bytes.length; i++) {
    buffer = ((buffer << 8) | (bytes[i] as number)) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(buffer >>> bits) & 31];
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

/** Lower-case hex. */
export function encodeHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    out += HEX[b >>> 4]! + HEX[b & 15]!;
  }
  return out;
}

/** Base64url (RFC 4648 §5), no padding. */
export function encodeBase64Url(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < bytes.length; i++) {
    buffer = ((buffer << 8) | (bytes[i] as number)) & 0xffff;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += BASE64URL[(buffer >>> bits) & 63];
    }
  }
  if (bits > 0) out += BASE64URL[(buffer << (6 - bits)) & 63];
  return out;
}

export function encodePayload(bytes: Uint8Array, encoding: PayloadEncoding): string {
  switch (encoding) {
    case 'base32':
      return encodeBase32(bytes);
    case 'hex':
      return encodeHex(bytes);
    case 'base64':
      return encodeBase64Url(bytes);
  }
}

/** How many whole bytes fit into `chars` characters of the encoding. */
export function bytesForChars(chars: number, encoding: PayloadEncoding): number {
  switch (encoding) {
    case 'base32':
      return Math.floor((chars * 5) / 8);
    case 'hex':
      return Math.floor(chars / 2);
    case 'base64':
      return Math.floor((chars * 6) / 8);
  }
}
