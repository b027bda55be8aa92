/**
 * Issue 12, part 4: a TS plugin stops when its host dies however it was
 * launched. Started through `sh -c` (as go-plugin's own examples do), the
 * plugin's parent is the shell, which outlives the host: the parent-pid
 * watchdog sees nothing, and only the host connection watchdog can tell.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';

import { isAlive, processesMatching, spawnHost, waitUntil } from '@qplugin/go-plugin/testing';
import { QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';

import { INTEROP_PLUGIN } from '../src/support/paths.js';

describe('TS plugin watchdogs', () => {
  it('a plugin started through sh -c stops once its SIGKILLed host has been gone for the grace period', async () => {
    const tag = `watchdog-${randomUUID()}`;
    // `; exit` keeps sh from exec'ing node, so node's parent is sh, not the host.
    const script = `"${process.execPath}" "${INTEROP_PLUGIN}" ${tag}; exit`;
    // The grace also runs from the plugin's start until the host connects: long enough for a loaded
    // machine (300 ms failed once under a full test run), short against the wait below.
    const host = await spawnHost(
      { command: '/bin/sh', args: ['-c', script], handshake: QUORUM_HANDSHAKE, managed: false },
      { ...process.env, QPLUGIN_TEST_HOST_GRACE_MS: '2000', QPLUGIN_TEST_WATCH_HOST_MS: '0' },
    );
    const [plugin] = processesMatching(tag).filter((pid) => pid !== host.pluginPid);
    assert.ok(plugin !== undefined, 'the node plugin process under sh');
    host.child.kill('SIGKILL');
    await host.ended;
    await waitUntil(() => !isAlive(plugin), 15_000, 'the plugin to stop without its host connection');
    await waitUntil(() => !isAlive(host.pluginPid), 5_000, 'sh to end with it');
  });
});
