/**
 * Go's base64.RawStdEncoding: standard alphabet, no `=` padding. The
 * handshake's certificate field uses it; Node's encoder pads and Node's
 * decoder is lenient, so both directions are done here with Go's rules.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(256).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Standard base64 without padding or line breaks. */
export function encodeRawStd(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64').replace(/=+$/, '');
}

/**
 * Decodes like Go's RawStdEncoding.DecodeString, including where it fails:
 * the error text `illegal base64 data at input byte N` carries Go's N.
 * Like Go, CR and LF are skipped.
 */
export function decodeRawStd(text: string): Buffer {
  const out: number[] = [];
  const quantum = [0, 0, 0, 0];
  let i = 0;
  for (;;) {
    let j = 0;
    while (j < 4) {
      if (i === text.length) break;
      const code = text.charCodeAt(i++);
      const value = code < 256 ? DECODE[code]! : -1;
      if (value >= 0) {
        quantum[j++] = value;
        continue;
      }
      if (code === 0x0a || code === 0x0d) continue;
      throw new Error(`illegal base64 data at input byte ${i - 1}`);
    }
    if (j === 0) break;
    // A lone trailing character cannot carry a whole byte.
    if (j === 1) throw new Error(`illegal base64 data at input byte ${i - 1}`);
    const v =
      (quantum[0]! << 18) |
      (quantum[1]! << 12) |
      ((j > 2 ? quantum[2]! : 0) << 6) |
      (j > 3 ? quantum[3]! : 0);
    out.push((v >> 16) & 0xff);
    if (j > 2) out.push((v >> 8) & 0xff);
    if (j > 3) out.push(v & 0xff);
    if (j < 4) break;
  }
  return Buffer.from(out);
}
