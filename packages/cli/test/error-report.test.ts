/**
 * Every failure the CLI prints carries a stable code: catalog errors theirs,
 * bad command lines CLI_USAGE (also under --json), operating-system errors
 * CLI_SYSTEM with errno and syscall, anything else CLI_INTERNAL with the
 * error's name in the message, including errors that escape every await.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { GoPluginError, RpcError, Status } from '@qplugin/go-plugin/protocol';

import { UsageError } from '../src/args.js';
import { callFailure } from '../src/commands/call.js';
import { errorDocument, errorReport } from '../src/error-report.js';
import { printResult } from '../src/output.js';
import { QuorumError, QuorumErrorCodes } from '@qplugin/quorum';
import { json, qplugin, scratch, show } from './support/cli.js';

const UNCAUGHT = fileURLToPath(new URL('./fixtures/cli/uncaught.js', import.meta.url));

describe('errorReport: a code for every thrown value', () => {
  it('catalog errors keep code, message, fix and details', () => {
    const err = new QuorumError('SETTINGS_PARSE', 'bad', { fix: 'do x', details: { file: 'f' } });
    assert.deepEqual(errorReport(err), {
      code: 'SETTINGS_PARSE',
      message: 'bad',
      fix: 'do x',
      details: { file: 'f' },
    });
    assert.equal(errorReport(new GoPluginError('HANDSHAKE_BAD_LINE', 'x')).code, 'HANDSHAKE_BAD_LINE');
  });

  it('a RangeError is CLI_INTERNAL, named in the message, with its stack', () => {
    const report = errorReport(new RangeError('Maximum call stack size exceeded'));
    assert.equal(report.code, 'CLI_INTERNAL');
    assert.equal(report.message, 'RangeError: Maximum call stack size exceeded');
    assert.match(report.fix ?? '', /qplugin bug/);
    assert.equal(report.details?.['name'], 'RangeError');
    assert.match(String(report.details?.['stack']), /^RangeError: Maximum call stack size exceeded\n {4}at /);
  });

  it('Node errors with an ERR_ code are internal, their code kept in details', () => {
    const err = Object.assign(new TypeError('The "path" argument must be of type string'), {
      code: 'ERR_INVALID_ARG_TYPE',
    });
    const report = errorReport(err);
    assert.equal(report.code, 'CLI_INTERNAL');
    assert.equal(report.message, 'TypeError: The "path" argument must be of type string');
    assert.equal(report.details?.['nodeCode'], 'ERR_INVALID_ARG_TYPE');
  });

  it('system errors are CLI_SYSTEM with errno, syscall, address and a fix', () => {
    const err = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:8545'), {
      code: 'EADDRINUSE',
      errno: -98,
      syscall: 'listen',
      address: '127.0.0.1',
      port: 8545,
    });
    assert.deepEqual(errorReport(err), {
      code: 'CLI_SYSTEM',
      message: 'listen EADDRINUSE: address already in use 127.0.0.1:8545',
      fix: 'Another process listens on that address: pick another port (0 picks a free one) or stop it.',
      details: { errno: 'EADDRINUSE', syscall: 'listen', address: '127.0.0.1', port: 8545 },
    });
  });

  it('values that are not Errors are CLI_INTERNAL and still described', () => {
    assert.equal(errorReport('boom').message, 'non-Error value thrown: "boom"');
    assert.equal(errorReport(undefined).message, 'non-Error value thrown: undefined');
    assert.equal(errorReport(null).code, 'CLI_INTERNAL');
    assert.equal(errorReport(Object.create(null)).message, 'non-Error value thrown: [object Object]');
  });

  it('usage errors are CLI_USAGE; gRPC statuses keep Go’s code name', () => {
    assert.equal(errorReport(new UsageError('give a zip')).code, 'CLI_USAGE');
    const report = errorReport(new RpcError(Status.NOT_FOUND, 'unknown account'));
    assert.equal(report.code, 'NotFound');
    assert.equal(report.message, 'rpc error: code = NotFound desc = unknown account');
  });

  it('every fallback code is in the catalog', () => {
    for (const code of ['CLI_USAGE', 'CLI_SYSTEM', 'CLI_INTERNAL']) assert.ok(code in QuorumErrorCodes, code);
  });

  it('the --json document survives details that JSON cannot hold', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const big = JSON.parse(errorDocument({ code: 'X', message: 'm', details: { n: 10n } })) as {
      error: { details: unknown };
    };
    assert.deepEqual(big.error.details, { n: '10' });
    const cycle = JSON.parse(errorDocument({ code: 'X', message: 'm', details: cyclic })) as {
      ok: boolean;
      error: { code: string; details: { unencodable: string } };
    };
    assert.equal(cycle.error.code, 'X');
    assert.match(
      cycle.error.details.unencodable,
      /^details could not be encoded as JSON: Converting circular/,
    );
    const deep = JSON.parse(
      errorDocument({
        code: 'X',
        message: 'm',
        details: { d: JSON.parse('['.repeat(8000) + ']'.repeat(8000)) },
      }),
    );
    assert.equal(deep.ok, false);
  });

  it('call failures: gRPC code names, else the catalog or fallback code', () => {
    assert.deepEqual(callFailure(new RpcError(Status.UNAVAILABLE, 'down')), {
      code: 'Unavailable',
      grpcCode: 14,
      message: 'rpc error: code = Unavailable desc = down',
    });
    const exited = callFailure(new GoPluginError('PLUGIN_EXITED', 'plugin exited', { fix: 'restart it' }));
    assert.equal(exited.code, 'PLUGIN_EXITED');
    assert.equal(exited.grpcCode, null);
    assert.equal(exited.fix, 'restart it');
    const plain = callFailure(new Error('invalid account address returned from plugin: 0x01'));
    assert.equal(plain.code, 'CLI_INTERNAL');
    assert.equal(plain.message, 'Error: invalid account address returned from plugin: 0x01');
  });
});

describe('--json output of deep values', () => {
  // What `run --json` prints: pluginsInfo() with each provider's config as written, which the
  // settings allow 10,000 levels deep, past JSON.stringify's ~4,000.
  it('a config nested 5,000 levels (past JSON.stringify) prints and reads back the same', () => {
    let config: unknown = { language: 'en' };
    for (let i = 0; i < 5_000; i++) config = [config];
    const chunks: string[] = [];
    const sink = { write: (chunk: string) => chunks.push(chunk) > 0 } as unknown as NodeJS.WritableStream;
    printResult(
      { stdout: sink, stderr: sink, json: true, tty: false },
      { ok: true, plugins: { helloworld: { config } } },
      '',
    );
    const text = chunks.join('');
    assert.ok(text.endsWith('}\n'));
    let back = (JSON.parse(text) as { plugins: { helloworld: { config: unknown } } }).plugins.helloworld
      .config;
    for (let i = 0; i < 5_000; i++) back = (back as unknown[])[0];
    assert.deepEqual(back, { language: 'en' });
  });
});

describe('qplugin --json failures', () => {
  it('an operating-system error: CLI_SYSTEM, errno and path, exit 1; the same text without --json', async () => {
    const dir = scratch('qp-cli-errors-');
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const target = join(file, 'plugin');
    const ran = await qplugin(['new', target, '--json']);
    assert.equal(ran.code, 1, show(ran));
    assert.deepEqual(json(ran), {
      ok: false,
      error: {
        code: 'CLI_SYSTEM',
        message: `ENOTDIR: not a directory, mkdir '${target}'`,
        fix: 'A component of the path is a file, not a directory.',
        details: { errno: 'ENOTDIR', syscall: 'mkdir', path: target },
      },
    });
    const human = await qplugin(['new', target]);
    assert.equal(human.code, 1, show(human));
    assert.equal(
      human.stderr,
      `qplugin new: ENOTDIR: not a directory, mkdir '${target}'\nfix: A component of the path is a file, not a directory.\n`,
    );
  });

  it('an unknown option or command: CLI_USAGE on stdout, usage on stderr, exit 2', async () => {
    const option = await qplugin(['verify', 'x.zip', '--no-such-option', '--json']);
    assert.equal(option.code, 2, show(option));
    const error = json(option).error as { code: string; message: string; fix: string };
    assert.equal(error.code, 'CLI_USAGE');
    assert.match(error.message, /^Unknown option '--no-such-option'/);
    assert.match(error.fix, /^usage: qplugin verify /);
    assert.match(option.stderr, /usage: qplugin verify /);

    const command = await qplugin(['nosuch', '--json']);
    assert.equal(command.code, 2, show(command));
    assert.deepEqual(json(command).error, {
      code: 'CLI_USAGE',
      message: 'unknown command "nosuch"',
      fix: 'commands: run, call, demo, check, check-host, new, pack, keygen, sign, verify, inspect',
    });
  });

  it('run --json with settings nested past Go’s limit: SETTINGS_PARSE, not a stack overflow', async () => {
    const dir = scratch('qp-cli-errors-');
    const settings = join(dir, 'deep.json');
    const depth = 20_000;
    writeFileSync(
      settings,
      `{"providers":{"helloworld":{"name":"a","version":"1","config":${'['.repeat(depth)}${']'.repeat(depth)}}}}`,
    );
    const ran = await qplugin(['run', '--plugins', `file://${settings}`, '--plugins.skipverify', '--json']);
    assert.equal(ran.code, 1, show(ran));
    const error = json(ran).error as { code: string; message: string; details: Record<string, unknown> };
    assert.equal(error.code, 'SETTINGS_PARSE');
    assert.ok(
      error.message.startsWith(
        "plugins: unable to parse settings due to invalid character '[' exceeded max depth (",
      ),
      error.message,
    );
    assert.equal(error.details['column'], 10060);
  });

  for (const how of ['throw', 'reject'] as const) {
    it(`an error that escapes every await (${how}): reported with its code, exit 1`, async () => {
      const run = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
        new Promise((resolve) => {
          execFile(process.execPath, [UNCAUGHT, how, ...args], (err, stdout, stderr) =>
            resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
          );
        });
      const ran = await run(['--json']);
      assert.equal(ran.code, 1, show(ran));
      const error = json(ran).error as { code: string; message: string };
      assert.equal(error.code, 'CLI_INTERNAL');
      assert.equal(error.message, 'TypeError: Cannot read properties of undefined (reading "port")');
      const human = await run([]);
      assert.equal(human.code, 1, show(human));
      assert.match(
        human.stderr,
        /^qplugin run: TypeError: Cannot read properties of undefined \(reading "port"\)\n {4}at /,
      );
    });
  }
});
