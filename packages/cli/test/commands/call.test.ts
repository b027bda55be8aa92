/**
 * `qplugin call` details the distribution test does not cover: --reattach to
 * a plugin this test process hosts (AutoMTLS off), gRPC errors in Go's form
 * on stderr and in --json, and a provider missing from the settings.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { PluginClient, reattachToJson } from '@qplugin/go-plugin/host';

import { PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum';
import { HELLO_MAIN, json, qplugin, scratch, show } from '../support/cli.js';

describe('qplugin call --reattach', () => {
  const client = new PluginClient({
    command: process.execPath,
    args: [HELLO_MAIN],
    handshake: QUORUM_HANDSHAKE,
    autoMTLS: false,
  });
  let reattach = '';
  before(async () => {
    await client.start();
    reattach = JSON.stringify(client.reattachConfig());
  });
  after(() => client.kill());

  it('reports the plugin’s gRPC error in Go form (no Init yet), exit 1', async () => {
    const ran = await qplugin(['call', 'helloworld', 'greeting', '["Quorum"]', '--reattach', reattach]);
    assert.equal(ran.code, 1, show(ran));
    assert.equal(
      ran.stderr,
      'qplugin call: helloworld.greeting: rpc error: code = FailedPrecondition desc = plugin not initialized\n',
    );
    const doc = json(
      await qplugin(['call', 'helloworld', 'greeting', '["Quorum"]', '--reattach', reattach, '--json']),
    );
    assert.deepEqual(doc.error, {
      code: 'FailedPrecondition',
      grpcCode: 9,
      message: 'rpc error: code = FailedPrecondition desc = plugin not initialized',
    });
  });

  it('calls the running plugin and leaves it running', async () => {
    await client
      .client(PluginInitializer)
      .init({ hostIdentity: 'test', rawConfiguration: Buffer.from('{"language":"es"}') });
    const ran = await qplugin(['call', 'HelloWorld', 'GREETING', '["Quorum"]', '--reattach', reattach]);
    assert.equal(ran.code, 0, show(ran));
    assert.equal(ran.stdout, 'Hola Quorum!\n');
    assert.equal(client.hasExited, false);
  });

  it("takes go-plugin's field names too (a TF_REATTACH_PROVIDERS entry)", async () => {
    const goForm = JSON.stringify(reattachToJson(client.reattachConfig()));
    const ran = await qplugin(['call', 'helloworld', 'greeting', '["Quorum"]', '--reattach', goForm]);
    assert.equal(ran.code, 0, show(ran));
    assert.equal(ran.stdout, 'Hola Quorum!\n');
  });

  it('refuses reattach JSON it cannot use, exit 2', async () => {
    const withTls = JSON.stringify({ ...JSON.parse(reattach), tls: {} });
    for (const bad of ['{', '{}', withTls]) {
      const ran = await qplugin(['call', 'helloworld', 'greeting', '["x"]', '--reattach', bad]);
      assert.equal(ran.code, 2, show(ran));
    }
    const netrpc = JSON.stringify({ ...reattachToJson(client.reattachConfig()), Protocol: '' });
    const ran = await qplugin(['call', 'helloworld', 'greeting', '["x"]', '--reattach', netrpc]);
    assert.equal(ran.code, 2, show(ran));
    assert.match(ran.stderr, /--reattach\.Protocol: "" means net\/rpc, which qplugin does not speak/);
  });
});

describe('qplugin call with settings', () => {
  it('an interface the settings do not configure: PLUGIN_NOT_FOUND, exit 1, nothing started', async () => {
    const dir = scratch('qp-cli-call-');
    const settings = join(dir, 'settings.json');
    const providers = { helloworld: { name: 'never-started', version: '1.0.0' } };
    writeFileSync(settings, JSON.stringify({ baseDir: join(dir, 'plugins'), providers }));
    const ran = await qplugin([
      'call',
      'account',
      'status',
      '--plugins',
      `file://${settings}`,
      '--plugins.skipverify',
      '--json',
    ]);
    assert.equal(ran.code, 1, show(ran));
    const error = json(ran).error as { code: string; message: string };
    assert.equal(error.code, 'PLUGIN_NOT_FOUND');
    assert.equal(error.message, 'no such plugin provider: account');
  });

  it('geth’s flag rules apply: --plugins.publickey needs --plugins.localverify', async () => {
    const ran = await qplugin([
      'call',
      'helloworld',
      'greeting',
      '["x"]',
      '--plugins',
      'file:///nowhere.json',
      '--plugins.publickey',
      'k',
    ]);
    assert.equal(ran.code, 1, show(ran));
    assert.match(ran.stderr, /--plugins.localverify is required for setting --plugins.publickey/);
  });
});
