/**
 * What a TLS server asks of client certificates: the signature schemes in its
 * CertificateRequest. A go-plugin host signs with a P-521 key, so a plugin
 * whose request lacks ecdsa_secp521r1_sha512 (BoringSSL-based stacks such as
 * gRPC C-core) gets no certificate and refuses the host, with nothing in the
 * error that says why. In TLS 1.2 the message is readable on the wire; in
 * TLS 1.3 it is encrypted, so it is decrypted with the handshake secret our
 * own client logs (the `keylog` event), as Wireshark does with SSLKEYLOGFILE.
 */
import { createDecipheriv, createHmac } from 'node:crypto';

/** TLS SignatureScheme names (RFC 8446 §4.2.3, RFC 8447). */
const SCHEMES: Record<number, string> = {
  0x0201: 'rsa_pkcs1_sha1',
  0x0203: 'ecdsa_sha1',
  0x0401: 'rsa_pkcs1_sha256',
  0x0501: 'rsa_pkcs1_sha384',
  0x0601: 'rsa_pkcs1_sha512',
  0x0403: 'ecdsa_secp256r1_sha256',
  0x0503: 'ecdsa_secp384r1_sha384',
  0x0603: 'ecdsa_secp521r1_sha512',
  0x0804: 'rsa_pss_rsae_sha256',
  0x0805: 'rsa_pss_rsae_sha384',
  0x0806: 'rsa_pss_rsae_sha512',
  0x0807: 'ed25519',
  0x0808: 'ed448',
  0x0809: 'rsa_pss_pss_sha256',
  0x080a: 'rsa_pss_pss_sha384',
  0x080b: 'rsa_pss_pss_sha512',
};

export const schemeName = (code: number): string =>
  SCHEMES[code] ?? `0x${code.toString(16).padStart(4, '0')}`;

/** The scheme a go-plugin peer signs with (ECDSA P-521 key, SHA-512). */
export const GO_PLUGIN_SCHEME = 'ecdsa_secp521r1_sha512';

export interface CertificateRequestInfo {
  tlsVersion: 'TLSv1.2' | 'TLSv1.3';
  /** Whether the server sent a CertificateRequest at all. */
  requested: boolean;
  /** Signature schemes it accepts for the client's CertificateVerify. */
  schemes: string[];
}

const HANDSHAKE = 22;
const APPLICATION_DATA = 23;
const SERVER_HELLO = 2;
const CERTIFICATE_REQUEST = 13;
const SERVER_HELLO_DONE = 14;
const FINISHED = 20;
const EXT_SIGNATURE_ALGORITHMS = 13;
const EXT_SUPPORTED_VERSIONS = 43;
/** ServerHello.random of a HelloRetryRequest (RFC 8446 §4.1.3). */
const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

interface Record_ {
  type: number;
  header: Buffer;
  body: Buffer;
}

function records(bytes: Buffer): Record_[] {
  const out: Record_[] = [];
  let at = 0;
  while (at + 5 <= bytes.length) {
    const length = bytes.readUInt16BE(at + 3);
    if (at + 5 + length > bytes.length) break;
    out.push({
      type: bytes[at]!,
      header: bytes.subarray(at, at + 5),
      body: bytes.subarray(at + 5, at + 5 + length),
    });
    at += 5 + length;
  }
  return out;
}

/** Handshake messages in a byte stream (they may span records). */
function* messages(stream: Buffer): Generator<{ type: number; body: Buffer }> {
  let at = 0;
  while (at + 4 <= stream.length) {
    const length = stream.readUIntBE(at + 1, 3);
    if (at + 4 + length > stream.length) return;
    yield { type: stream[at]!, body: stream.subarray(at + 4, at + 4 + length) };
    at += 4 + length;
  }
}

function u16List(list: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < list.length; i += 2) out.push(list.readUInt16BE(i));
  return out;
}

/** Extensions of a hello or request: type → data. */
function extensions(block: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let at = 0;
  while (at + 4 <= block.length) {
    const type = block.readUInt16BE(at);
    const length = block.readUInt16BE(at + 2);
    out.set(type, block.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return out;
}

interface ServerHello {
  cipher: number;
  tls13: boolean;
  retry: boolean;
}

function parseServerHello(body: Buffer): ServerHello {
  // legacy_version(2) random(32) session_id<1> cipher(2) compression(1) extensions<2>
  const random = body.subarray(2, 34);
  let at = 34;
  at += 1 + body[at]!;
  const cipher = body.readUInt16BE(at);
  at += 3;
  let tls13 = false;
  if (at + 2 <= body.length) {
    const ext = extensions(body.subarray(at + 2, at + 2 + body.readUInt16BE(at)));
    const version = ext.get(EXT_SUPPORTED_VERSIONS);
    tls13 = version !== undefined && version.length === 2 && version.readUInt16BE(0) === 0x0304;
  }
  return { cipher, tls13, retry: random.equals(HRR_RANDOM) };
}

/** TLS 1.2 CertificateRequest: certificate_types<1>, supported_signature_algorithms<2>, authorities<2>. */
function schemes12(body: Buffer): number[] {
  const at = 1 + body[0]!;
  return u16List(body.subarray(at + 2, at + 2 + body.readUInt16BE(at)));
}

/** TLS 1.3 CertificateRequest: context<1>, extensions<2> with signature_algorithms. */
function schemes13(body: Buffer): number[] {
  const at = 1 + body[0]!;
  const ext = extensions(body.subarray(at + 2, at + 2 + body.readUInt16BE(at)));
  const list = ext.get(EXT_SIGNATURE_ALGORITHMS);
  return list ? u16List(list.subarray(2, 2 + list.readUInt16BE(0))) : [];
}

const SUITES: Record<number, { cipher: string; hash: 'sha256' | 'sha384'; keyLength: number }> = {
  0x1301: { cipher: 'aes-128-gcm', hash: 'sha256', keyLength: 16 },
  0x1302: { cipher: 'aes-256-gcm', hash: 'sha384', keyLength: 32 },
  0x1303: { cipher: 'chacha20-poly1305', hash: 'sha256', keyLength: 32 },
};

/** HKDF-Expand-Label (RFC 8446 §7.1) for outputs no longer than one hash block. */
function expandLabel(hash: string, secret: Buffer, label: string, length: number): Buffer {
  const fullLabel = Buffer.from(`tls13 ${label}`);
  const info = Buffer.concat([
    Buffer.from([length >> 8, length & 0xff, fullLabel.length]),
    fullLabel,
    Buffer.from([0]),
  ]);
  return createHmac(hash, secret)
    .update(Buffer.concat([info, Buffer.from([1])]))
    .digest()
    .subarray(0, length);
}

/**
 * Decrypts the server's TLS 1.3 handshake records into the handshake message
 * stream. Records after the server's Finished use other keys and fail to
 * authenticate: decryption stops at the first of those.
 */
function decryptHandshake(encrypted: Record_[], suiteCode: number, secret: Buffer): Buffer {
  const suite = SUITES[suiteCode];
  if (!suite) return Buffer.alloc(0);
  const key = expandLabel(suite.hash, secret, 'key', suite.keyLength);
  const iv = expandLabel(suite.hash, secret, 'iv', 12);
  const plain: Buffer[] = [];
  for (const [seq, record] of encrypted.entries()) {
    if (record.body.length < 17) break;
    const nonce = Buffer.from(iv);
    for (let i = 0; i < 8; i++) nonce[11 - i]! ^= (seq / 2 ** (8 * i)) & 0xff;
    let inner: Buffer;
    try {
      const decipher = createDecipheriv(suite.cipher as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
      decipher.setAAD(record.header);
      decipher.setAuthTag(record.body.subarray(record.body.length - 16));
      inner = Buffer.concat([decipher.update(record.body.subarray(0, -16)), decipher.final()]);
    } catch {
      break;
    }
    // TLSInnerPlaintext: content, then the real content type, then zero padding.
    let end = inner.length - 1;
    while (end >= 0 && inner[end] === 0) end--;
    if (inner[end] === HANDSHAKE) plain.push(inner.subarray(0, end));
  }
  return Buffer.concat(plain);
}

/**
 * Finds the CertificateRequest in what a server sent during the handshake.
 * `serverHandshakeSecret` is the SERVER_HANDSHAKE_TRAFFIC_SECRET from the
 * client's key log (TLS 1.3 only). Undefined when the bytes do not tell
 * (cut short, or a TLS 1.3 secret is missing).
 */
export function readCertificateRequest(
  serverBytes: Buffer,
  serverHandshakeSecret: Buffer | undefined,
): CertificateRequestInfo | undefined {
  const all = records(serverBytes);
  let hello: ServerHello | undefined;
  let plainStream = Buffer.alloc(0);
  let helloIndex = -1;
  for (let i = 0; i < all.length; i++) {
    const rec = all[i]!;
    if (rec.type !== HANDSHAKE) continue;
    plainStream = Buffer.concat([plainStream, rec.body]);
    for (const m of messages(plainStream)) {
      if (m.type !== SERVER_HELLO) continue;
      const parsed = parseServerHello(m.body);
      if (parsed.retry) continue; // a HelloRetryRequest; the real ServerHello follows
      hello = parsed;
      helloIndex = i;
    }
    if (hello?.tls13) break;
  }
  if (!hello) return undefined;
  if (!hello.tls13) {
    for (const m of messages(plainStream)) {
      if (m.type === CERTIFICATE_REQUEST)
        return { tlsVersion: 'TLSv1.2', requested: true, schemes: schemes12(m.body).map(schemeName) };
      if (m.type === SERVER_HELLO_DONE) return { tlsVersion: 'TLSv1.2', requested: false, schemes: [] };
    }
    return undefined;
  }
  if (!serverHandshakeSecret) return undefined;
  const encrypted = all.slice(helloIndex + 1).filter((rec) => rec.type === APPLICATION_DATA);
  const stream = decryptHandshake(encrypted, hello.cipher, serverHandshakeSecret);
  for (const m of messages(stream)) {
    if (m.type === CERTIFICATE_REQUEST)
      return { tlsVersion: 'TLSv1.3', requested: true, schemes: schemes13(m.body).map(schemeName) };
    if (m.type === FINISHED) return { tlsVersion: 'TLSv1.3', requested: false, schemes: [] };
  }
  return undefined;
}

/** Parses `SERVER_HANDSHAKE_TRAFFIC_SECRET <client random> <secret>` from a key log line. */
export function serverHandshakeSecret(keylogLine: Buffer | string): Buffer | undefined {
  const m = /^SERVER_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]+ ([0-9a-f]+)\s*$/i.exec(String(keylogLine));
  return m ? Buffer.from(m[1]!, 'hex') : undefined;
}
