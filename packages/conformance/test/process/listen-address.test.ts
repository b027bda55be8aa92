/** What counts as loopback, and the real listening sockets of a process. */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';

import { hostKind, tcpListeners } from '../../src/process/listen-address.js';
import { procAvailable } from '../../src/process/processes.js';

describe('listen address', () => {
  it('loopback, wildcard and other hosts', () => {
    for (const h of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3'])
      assert.equal(hostKind(h), 'loopback', h);
    for (const h of ['0.0.0.0', '::', '[::]']) assert.equal(hostKind(h), 'wildcard', h);
    assert.equal(hostKind(''), 'unspecified');
    assert.equal(hostKind('192.168.1.2'), 'other');
  });

  it(
    'finds this process listening on 0.0.0.0 and on 127.0.0.1',
    { skip: procAvailable() ? false : 'no /proc' },
    async () => {
      const wide = createServer();
      const narrow = createServer();
      await new Promise<void>((r) => wide.listen(0, '0.0.0.0', () => r()));
      await new Promise<void>((r) => narrow.listen(0, '127.0.0.1', () => r()));
      try {
        const found = tcpListeners([process.pid]);
        const port = (s: typeof wide): number => (s.address() as { port: number }).port;
        assert.deepEqual(
          found.filter((l) => l.port === port(wide)),
          [{ host: '0.0.0.0', port: port(wide) }],
        );
        assert.deepEqual(
          found.filter((l) => l.port === port(narrow)),
          [{ host: '127.0.0.1', port: port(narrow) }],
        );
        assert.deepEqual(tcpListeners([2 ** 22 + 12345]), []);
      } finally {
        wide.close();
        narrow.close();
      }
    },
  );
});
