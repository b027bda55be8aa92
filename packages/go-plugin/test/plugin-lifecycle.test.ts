/** The plugin's host-connection watchdog, on mock timers: when it stops the plugin and when it must not. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { watchHost } from '../src/plugin/lifecycle.js';
import { silentLogger } from '../src/protocol/logger.js';

/** A server's connection count and its watchers, as GrpcServer exposes them. */
class Connections {
  connections = 0;
  private readonly watchers = new Set<(n: number) => void>();
  watchConnections(fn: (n: number) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }
  set(n: number): void {
    this.connections = n;
    for (const w of this.watchers) w(n);
  }
  get watching(): number {
    return this.watchers.size;
  }
}

function watch(server: Connections, graceMs: number): { stops: string[]; unwatch: () => void } {
  const stops: string[] = [];
  const unwatch = watchHost({
    logger: silentLogger,
    stop: async (reason) => void stops.push(reason),
    pollMs: 0,
    server,
    connectionGraceMs: graceMs,
  });
  return { stops, unwatch };
}

describe('host connection watchdog', () => {
  it('stops the plugin when no host has connected within the grace period after the handshake', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const server = new Connections();
    const { stops, unwatch } = watch(server, 1000);
    t.mock.timers.tick(999);
    assert.deepEqual(stops, []);
    t.mock.timers.tick(1);
    assert.deepEqual(stops, ['host connection gone']);
    unwatch();
  });

  it('never stops while a host connection is open, however long', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const server = new Connections();
    const { stops, unwatch } = watch(server, 1000);
    t.mock.timers.tick(500);
    server.set(1);
    t.mock.timers.tick(60_000);
    server.set(2);
    server.set(1);
    t.mock.timers.tick(60_000);
    assert.deepEqual(stops, []);
    unwatch();
  });

  it('stops once the last connection has been gone for the grace period; a reconnect in time cancels it', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const server = new Connections();
    server.set(1);
    const { stops, unwatch } = watch(server, 1000);
    server.set(0);
    t.mock.timers.tick(900);
    server.set(1); // the host's channel made a new session
    t.mock.timers.tick(5000);
    assert.deepEqual(stops, []);
    server.set(0);
    t.mock.timers.tick(1000);
    assert.deepEqual(stops, ['host connection gone']);
    unwatch();
    assert.equal(server.watching, 0, 'unwatch removes its watcher');
  });

  it('is off with a grace of 0', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const server = new Connections();
    const { stops, unwatch } = watch(server, 0);
    t.mock.timers.tick(1e9);
    assert.deepEqual(stops, []);
    assert.equal(server.watching, 0);
    unwatch();
  });
});
