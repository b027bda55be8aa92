/**
 * TLS cipher suites: the IANA ids a security plugin sends (what Go's
 * crypto/tls constants are) mapped to the OpenSSL names Node's `ciphers`
 * option takes. The table covers the TLS 1.2 suites Go implements.
 */

interface Suite {
  readonly iana: string;
  /** OpenSSL name; absent when Node's OpenSSL no longer offers the suite. */
  readonly openssl?: string;
}

const TLS12_SUITES: ReadonlyMap<number, Suite> = new Map<number, Suite>([
  [0x0005, { iana: 'TLS_RSA_WITH_RC4_128_SHA' }],
  [0x000a, { iana: 'TLS_RSA_WITH_3DES_EDE_CBC_SHA' }],
  [0x002f, { iana: 'TLS_RSA_WITH_AES_128_CBC_SHA', openssl: 'AES128-SHA' }],
  [0x0035, { iana: 'TLS_RSA_WITH_AES_256_CBC_SHA', openssl: 'AES256-SHA' }],
  [0x003c, { iana: 'TLS_RSA_WITH_AES_128_CBC_SHA256', openssl: 'AES128-SHA256' }],
  [0x009c, { iana: 'TLS_RSA_WITH_AES_128_GCM_SHA256', openssl: 'AES128-GCM-SHA256' }],
  [0x009d, { iana: 'TLS_RSA_WITH_AES_256_GCM_SHA384', openssl: 'AES256-GCM-SHA384' }],
  [0xc007, { iana: 'TLS_ECDHE_ECDSA_WITH_RC4_128_SHA' }],
  [0xc009, { iana: 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA', openssl: 'ECDHE-ECDSA-AES128-SHA' }],
  [0xc00a, { iana: 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', openssl: 'ECDHE-ECDSA-AES256-SHA' }],
  [0xc011, { iana: 'TLS_ECDHE_RSA_WITH_RC4_128_SHA' }],
  [0xc012, { iana: 'TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA' }],
  [0xc013, { iana: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', openssl: 'ECDHE-RSA-AES128-SHA' }],
  [0xc014, { iana: 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', openssl: 'ECDHE-RSA-AES256-SHA' }],
  [0xc023, { iana: 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256', openssl: 'ECDHE-ECDSA-AES128-SHA256' }],
  [0xc027, { iana: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256', openssl: 'ECDHE-RSA-AES128-SHA256' }],
  [0xc02b, { iana: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', openssl: 'ECDHE-ECDSA-AES128-GCM-SHA256' }],
  [0xc02c, { iana: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', openssl: 'ECDHE-ECDSA-AES256-GCM-SHA384' }],
  [0xc02f, { iana: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', openssl: 'ECDHE-RSA-AES128-GCM-SHA256' }],
  [0xc030, { iana: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', openssl: 'ECDHE-RSA-AES256-GCM-SHA384' }],
  [0xcca8, { iana: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', openssl: 'ECDHE-RSA-CHACHA20-POLY1305' }],
  [
    0xcca9,
    { iana: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', openssl: 'ECDHE-ECDSA-CHACHA20-POLY1305' },
  ],
]);

/**
 * TLS 1.3 suites. Go always enables all three and ignores them in
 * `Config.CipherSuites`; we do the same: they are accepted in a plugin's list
 * but change nothing, and all three are always offered.
 */
const TLS13_SUITES: ReadonlyMap<number, string> = new Map([
  [0x1301, 'TLS_AES_128_GCM_SHA256'],
  [0x1302, 'TLS_AES_256_GCM_SHA384'],
  [0x1303, 'TLS_CHACHA20_POLY1305_SHA256'],
]);

/** In Go's TLS 1.3 preference order. */
export const TLS13_OPENSSL_SUITES = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_256_GCM_SHA384',
];

/** geth's defaults when the plugin sends no suites. */
export const DEFAULT_CIPHER_SUITES: readonly number[] = [0xc030, 0xc02c, 0xc014, 0xc00a];

export const CIPHER_SUITE_OVERFLOW = 'cipher suite value overflow';

const hex = (id: number): string => `0x${id.toString(16).padStart(4, '0')}`;

/** The IANA name of a suite id, or undefined when the table does not know it. */
export function cipherSuiteName(id: number): string | undefined {
  return TLS12_SUITES.get(id)?.iana ?? TLS13_SUITES.get(id);
}

/**
 * Maps a plugin's suite ids to OpenSSL TLS 1.2 names, in the plugin's order.
 * Each id travels as a uint32 but must fit Go's uint16 (geth's overflow
 * check). Unknown or unavailable ids are errors rather than silently dropped,
 * so a misconfigured plugin is noticed at start-up.
 */
export function toOpenSslCipherList(ids: readonly number[]): string[] {
  const names: string[] = [];
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id > 0xffff) throw new Error(CIPHER_SUITE_OVERFLOW);
    if (TLS13_SUITES.has(id)) continue;
    const suite = TLS12_SUITES.get(id);
    if (!suite)
      throw new Error(`unknown cipher suite ${hex(id)}: not a TLS 1.2 suite Go or Node.js implements`);
    if (!suite.openssl)
      throw new Error(`cipher suite ${hex(id)} (${suite.iana}) is not available in Node.js's OpenSSL`);
    if (!names.includes(suite.openssl)) names.push(suite.openssl);
  }
  return names;
}
