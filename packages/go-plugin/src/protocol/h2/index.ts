/**
 * An HTTP/2 client of our own for gRPC calls (internal; not exported
 * from the package's entry points). See connection.ts for what it covers.
 */
export { connectTls } from './connect.js';
export { DEFAULT_MAX_HEADER_LIST_BYTES, DEFAULT_RECEIVE_WINDOW_BYTES, H2Connection } from './connection.js';
export { H2Stream } from './stream.js';
export type { H2ConnectionOptions, StreamHandler } from './connection.js';
export { H2Code, H2Error, H2ErrorCodes, h2CodeName } from './errors.js';
export type { H2ErrorCode } from './errors.js';
export { HpackDecoder } from './hpack-decoder.js';
export { encodeHeaderBlock, encodeInteger, headerListSize } from './hpack-encoder.js';
export { huffmanDecode, huffmanEncode, huffmanLength } from './huffman.js';
export { H2Call } from './call.js';
export { UnaryMethod } from './request-head.js';
export { unaryCall } from './unary.js';
export type { UnaryOptions, UnaryResult } from './unary.js';
