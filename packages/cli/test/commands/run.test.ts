/**
 * `qplugin run` and `qplugin demo` as child processes: pack → sign → run →
 * JSON-RPC calls → SIGINT stops everything; the demo prints its answers.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { expectNoProcesses } from '@qplugin/go-plugin/testing';

import { DEFAULT_NODE_FLAGS } from '../../src/packaging/node-flags.js';
import { BIN, HELLO_MAIN, json, qplugin, scratch, show } from '../support/cli.js';

function rpc(
  url: string,
  method: string,
  params: unknown[],
): Promise<{ result?: unknown; error?: { code: number; message: string } }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json' }, agent: false },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () =>
          resolve(JSON.parse(text) as { result?: unknown; error?: { code: number; message: string } }),
        );
      },
    );
    req.once('error', reject);
    req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }));
  });
}

describe('qplugin run', () => {
  it('pack → keygen → sign → run: serves the plugin, reloads it, and stops cleanly on SIGINT', async () => {
    const dir = scratch('qp-cli-run-');
    const baseDir = join(dir, 'plugins');
    mkdirSync(baseDir);
    const pack = await qplugin([
      'pack',
      '--name',
      'hello',
      '--version',
      '1.0.0',
      '--entry',
      HELLO_MAIN,
      '--out',
      baseDir,
      '--json',
    ]);
    assert.equal(pack.code, 0, show(pack));
    const zip = String(json(pack).zip);
    assert.equal(
      (await qplugin(['keygen', '--name', 'ci', '--email', 'ci@example.invalid', '--out', join(dir, 'keys')]))
        .code,
      0,
    );
    const sign = await qplugin(['sign', zip, '--key', join(dir, 'keys', 'signing-key.asc')]);
    assert.equal(sign.code, 0, show(sign));
    const config = join(dir, 'hello.json');
    writeFileSync(config, '{"language":"en"}');
    const settings = join(dir, 'settings.json');
    writeFileSync(
      settings,
      JSON.stringify({
        baseDir,
        providers: { helloworld: { name: 'hello', version: '1.0.0', config: `file://${config}` } },
      }),
    );

    const child = spawn(
      process.execPath,
      [
        BIN,
        'run',
        '--plugins',
        `file://${settings}`,
        '--plugins.localverify',
        '--plugins.publickey',
        `file://${join(dir, 'keys', 'gpg.key')}`,
        '--http.port',
        '0',
        '--http.api',
        'admin,plugin@helloworld',
        '--identity',
        'ci-node',
        '--json',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: dir } },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const ready = await new Promise<{ url: string }>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        try {
          resolve(JSON.parse(out) as { url: string });
        } catch {
          // not complete yet
        }
      });
      child.once('exit', (code) => reject(new Error(`run exited ${code}\n${err}`)));
    });
    assert.match(ready.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    // Where Node can replace a process (process.execve), run restarted itself with the young-generation flags
    // under the pid it was spawned with; elsewhere it runs without them.
    const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
    const flagged = DEFAULT_NODE_FLAGS.every((flag) => cmdline.includes(flag));
    assert.equal(flagged, 'execve' in process, cmdline.join(' '));
    assert.deepEqual(cmdline.slice(cmdline.indexOf(BIN), cmdline.indexOf(BIN) + 2), [BIN, 'run']);
    assert.equal((await rpc(ready.url, 'plugin@helloworld_greeting', ['Quorum'])).result, 'Hello Quorum!');
    writeFileSync(config, '{"language":"es"}');
    assert.equal((await rpc(ready.url, 'admin_reloadPlugin', ['helloworld'])).result, true);
    assert.equal((await rpc(ready.url, 'plugin@helloworld_greeting', ['Quorum'])).result, 'Hola Quorum!');
    assert.match(err, /Starting plugin/, 'lifecycle steps are logged');

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    assert.equal(await exited, 0, err);
    await expectNoProcesses(`${dir}/`);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith('qp-') || f.startsWith('plugin-dir')),
      [],
      'no socket directories left',
    );
  });

  it('refuses contradictory verification flags with geth’s message', async () => {
    const ran = await qplugin([
      'run',
      '--plugins',
      'file:///nowhere.json',
      '--plugins.skipverify',
      '--plugins.localverify',
    ]);
    assert.equal(ran.code, 1, show(ran));
    assert.match(ran.stderr, /only --plugins.skipverify or --plugins.localverify must be set/);
  });
});

describe('qplugin demo', () => {
  it('prints Hello Quorum! then Hola Quorum! and leaves nothing behind', async () => {
    const dir = scratch('qp-cli-demo-');
    const ran = await qplugin(['demo'], { env: { TMPDIR: dir }, timeoutMs: 120_000 });
    assert.equal(ran.code, 0, show(ran));
    const lines = ran.stdout.trim().split('\n');
    assert.ok(lines.includes('Hello Quorum!'), show(ran));
    assert.ok(lines.includes('Hola Quorum!'), show(ran));
    assert.ok(lines.indexOf('Hello Quorum!') < lines.indexOf('Hola Quorum!'));
    assert.equal(lines.at(-1), 'stopped; nothing left behind');
    assert.deepEqual(readdirSync(dir), [], 'the demo removed everything it made');
    await expectNoProcesses(`${dir}/`);
  });
});
