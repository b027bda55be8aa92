import assert from 'node:assert/strict';
import { it } from 'node:test';

import { warmUpFirstConnection } from '../../src/host/warm-up.js';

it('the first-connection warm-up never fails a start, even on a key pair TLS rejects', () => {
  // The connection reports a bad certificate with a typed error; the warm-up only gives it a head start.
  assert.doesNotThrow(() => warmUpFirstConnection({ pem: 'not a certificate', privateKeyPem: 'not a key' }));
  assert.doesNotThrow(() => warmUpFirstConnection(undefined));
});
