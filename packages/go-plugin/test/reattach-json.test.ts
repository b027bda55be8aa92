/**
 * Reattach JSON (Terraform's TF_REATTACH_PROVIDERS and one entry of it) into
 * ReattachConfig: the accepted forms, and a typed error naming the field and
 * value for every malformed or hostile input.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { GoPluginError } from '../src/protocol/errors.js';
import {
  parseReattachConfig,
  parseReattachProviders,
  reattachFromEnv,
  reattachToJson,
} from '../src/host/reattach-json.js';

const UNIX = {
  Protocol: 'grpc',
  ProtocolVersion: 5,
  Pid: 4242,
  Test: true,
  Addr: { Network: 'unix', String: '/tmp/plugin123456' },
};
const PROVIDERS = JSON.stringify({ 'registry.terraform.io/hashicorp/kv': UNIX });

/** Asserts a REATTACH_INVALID error whose message is `message` and whose details name `field`. */
function rejects(fn: () => unknown, message: string | RegExp, field: string): GoPluginError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof GoPluginError, `expected a GoPluginError, got ${String(caught)}`);
  assert.equal(caught.code, 'REATTACH_INVALID');
  if (typeof message === 'string') assert.equal(caught.message, message);
  else assert.match(caught.message, message);
  assert.equal(caught.details.field, field);
  assert.ok(caught.fix, 'the error says what to do');
  return caught;
}

describe('parseReattachConfig', () => {
  it('reads a unix entry as Terraform writes it, from text or an object', () => {
    const expected = {
      protocol: 'grpc',
      protocolVersion: 5,
      pid: 4242,
      test: true,
      addr: { network: 'unix', address: '/tmp/plugin123456' },
    };
    assert.deepEqual(parseReattachConfig(JSON.stringify(UNIX)), expected);
    assert.deepEqual(parseReattachConfig(UNIX), expected);
  });
  it('reads a tcp entry; keys in any case (Go encoding/json); unknown keys ignored; Test false is left out', () => {
    const config = parseReattachConfig({
      protocol: 'grpc',
      PROTOCOLVERSION: 1,
      pid: 7,
      test: false,
      ReattachFunc: null,
      addr: { network: 'tcp', string: '127.0.0.1:10001' },
    });
    assert.deepEqual(config, {
      protocol: 'grpc',
      protocolVersion: 1,
      pid: 7,
      addr: { network: 'tcp', address: '127.0.0.1:10001' },
    });
  });
  it('missing Pid and ProtocolVersion mean unknown (0), as in go-plugin before v1.4.1', () => {
    const config = parseReattachConfig({ Protocol: 'grpc', Addr: { Network: 'tcp', String: '[::1]:2000' } });
    assert.equal(config.pid, 0);
    assert.equal(config.protocolVersion, 0);
  });
  it('round-trips through reattachToJson', () => {
    const config = parseReattachConfig(UNIX);
    assert.deepEqual(reattachToJson(config), UNIX);
    assert.deepEqual(parseReattachConfig(JSON.stringify(reattachToJson(config))), config);
  });
  it('refuses net/rpc (empty or missing Protocol) and unknown protocols', () => {
    rejects(
      () => parseReattachConfig({ ...UNIX, Protocol: '' }),
      'reattach config.Protocol: "" means net/rpc, which qplugin does not speak',
      'reattach config.Protocol',
    );
    const { Protocol: _, ...noProtocol } = UNIX;
    rejects(() => parseReattachConfig(noProtocol), /"" means net\/rpc/, 'reattach config.Protocol');
    rejects(
      () => parseReattachConfig({ ...UNIX, Protocol: 'netrpc' }),
      /"netrpc" means net\/rpc/,
      'reattach config.Protocol',
    );
    const err = rejects(
      () => parseReattachConfig({ ...UNIX, Protocol: 'GRPC' }),
      'reattach config.Protocol: "GRPC" is unknown',
      'reattach config.Protocol',
    );
    assert.equal(err.details.value, 'GRPC');
  });
  it('refuses numbers that are not non-negative integers, naming the field and value', () => {
    for (const bad of ['123', -1, 1.5, Infinity, null, true]) {
      rejects(
        () => parseReattachConfig({ ...UNIX, Pid: bad }),
        /^reattach config\.Pid: .* is not a process id$/,
        'reattach config.Pid',
      );
    }
    rejects(
      () =>
        parseReattachConfig(
          `{"Protocol":"grpc","ProtocolVersion":"5","Addr":{"Network":"unix","String":"/s"}}`,
        ),
      'reattach config.ProtocolVersion: "5" is not a version number',
      'reattach config.ProtocolVersion',
    );
    rejects(
      () => parseReattachConfig('{"Protocol":"grpc","Pid":1e400,"Addr":{"Network":"unix","String":"/s"}}'),
      'reattach config.Pid: Infinity is not a process id',
      'reattach config.Pid',
    );
    rejects(
      () => parseReattachConfig({ ...UNIX, ProtocolVersion: 2 ** 60 }),
      /ProtocolVersion: 1152921504606847000 is not a version number/,
      'reattach config.ProtocolVersion',
    );
  });
  it('refuses a Test that is not a boolean', () => {
    rejects(
      () => parseReattachConfig({ ...UNIX, Test: 'true' }),
      'reattach config.Test: "true" is not true or false',
      'reattach config.Test',
    );
  });
  it('refuses a missing or malformed Addr', () => {
    const { Addr: _, ...noAddr } = UNIX;
    rejects(() => parseReattachConfig(noAddr), 'reattach config.Addr: missing', 'reattach config.Addr');
    rejects(
      () => parseReattachConfig({ ...UNIX, Addr: '/tmp/x' }),
      'reattach config.Addr: "/tmp/x" is not an object',
      'reattach config.Addr',
    );
    rejects(
      () => parseReattachConfig({ ...UNIX, Addr: { Network: 'udp', String: '1.2.3.4:5' } }),
      'reattach config.Addr.Network: "udp" is not a network to reattach over',
      'reattach config.Addr.Network',
    );
    rejects(
      () => parseReattachConfig({ ...UNIX, Addr: { Network: 'unix', String: '' } }),
      'reattach config.Addr.String: "" is not an address',
      'reattach config.Addr.String',
    );
    rejects(
      () => parseReattachConfig({ ...UNIX, Addr: { Network: 'unix', String: '/tmp/a\0b' } }),
      /Addr\.String: .* is not an address/,
      'reattach config.Addr.String',
    );
    for (const tcp of ['127.0.0.1', '127.0.0.1:0', '127.0.0.1:65536', '127.0.0.1:80x', 'host:']) {
      rejects(
        () => parseReattachConfig({ ...UNIX, Addr: { Network: 'tcp', String: tcp } }),
        `reattach config.Addr.String: ${JSON.stringify(tcp)} is not host:port`,
        'reattach config.Addr.String',
      );
    }
  });
  it('refuses a key given twice in different case', () => {
    rejects(
      () => parseReattachConfig({ ...UNIX, pid: 1 }),
      'reattach config.Pid: given 2 times ("Pid", "pid")',
      'reattach config.Pid',
    );
  });
  it('hostile text: not JSON, not an object, oversized; long values are cut short in the message', () => {
    rejects(() => parseReattachConfig('{"Protocol":'), /^reattach config: not JSON \(/, 'reattach config');
    rejects(() => parseReattachConfig('[1,2]'), 'reattach config: [1,2] is not an object', 'reattach config');
    rejects(() => parseReattachConfig('null'), 'reattach config: null is not an object', 'reattach config');
    rejects(
      () => parseReattachConfig(' '.repeat((1 << 20) + 1)),
      'reattach config: 1048577 characters is more than the 1048576 accepted',
      'reattach config',
    );
    const err = rejects(
      () => parseReattachConfig({ ...UNIX, Protocol: 'x'.repeat(10_000) }),
      /Protocol: "x+\.\.\. is unknown$/,
      'reattach config.Protocol',
    );
    assert.ok(err.message.length < 200, 'the message stays short');
    assert.equal(err.details.value, `"${'x'.repeat(76)}...`, 'and so do the details');
  });
});

describe('parseReattachProviders', () => {
  it('reads every provider, naming each entry in errors', () => {
    const providers = parseReattachProviders(
      JSON.stringify({ a: UNIX, b: { ...UNIX, Addr: { Network: 'tcp', String: '127.0.0.1:10000' } } }),
    );
    assert.deepEqual([...providers.keys()], ['a', 'b']);
    assert.equal(providers.get('b')!.addr.network, 'tcp');
    rejects(
      () => parseReattachProviders({ good: UNIX, 'registry.terraform.io/x/bad': { ...UNIX, Pid: -3 } }),
      'TF_REATTACH_PROVIDERS["registry.terraform.io/x/bad"].Pid: -3 is not a process id',
      'TF_REATTACH_PROVIDERS["registry.terraform.io/x/bad"].Pid',
    );
  });
  it('a "__proto__" provider address is just a name', () => {
    const providers = parseReattachProviders(`{"__proto__": ${JSON.stringify(UNIX)}}`);
    assert.deepEqual([...providers.keys()], ['__proto__']);
    assert.equal(({} as Record<string, unknown>).Protocol, undefined, 'Object.prototype untouched');
  });
  it('refuses a single config where the map is expected', () => {
    rejects(
      () => parseReattachProviders('"grpc"'),
      'TF_REATTACH_PROVIDERS: "grpc" is not an object of provider address to reattach config',
      'TF_REATTACH_PROVIDERS',
    );
    rejects(
      () => parseReattachProviders(JSON.stringify(UNIX)),
      'TF_REATTACH_PROVIDERS["Protocol"]: "grpc" is not an object',
      'TF_REATTACH_PROVIDERS["Protocol"]',
    );
  });
});

describe('reattachFromEnv', () => {
  it('picks the only provider, or the one named', () => {
    const env = { TF_REATTACH_PROVIDERS: PROVIDERS };
    assert.equal(reattachFromEnv(undefined, { env }).pid, 4242);
    assert.equal(reattachFromEnv('registry.terraform.io/hashicorp/kv', { env }).pid, 4242);
    assert.equal(
      reattachFromEnv(undefined, { env: { KV_REATTACH: PROVIDERS }, variable: 'KV_REATTACH' }).pid,
      4242,
    );
  });
  it('unset, ambiguous or without the provider: errors that say which', () => {
    rejects(
      () => reattachFromEnv(undefined, { env: {} }),
      'TF_REATTACH_PROVIDERS: not set',
      'TF_REATTACH_PROVIDERS',
    );
    rejects(
      () => reattachFromEnv(undefined, { env: { TF_REATTACH_PROVIDERS: '  ' } }),
      'TF_REATTACH_PROVIDERS: not set',
      'TF_REATTACH_PROVIDERS',
    );
    rejects(
      () =>
        reattachFromEnv(undefined, { env: { TF_REATTACH_PROVIDERS: JSON.stringify({ a: UNIX, b: UNIX }) } }),
      'TF_REATTACH_PROVIDERS: holds 2 providers ("a", "b"); which one is ambiguous',
      'TF_REATTACH_PROVIDERS',
    );
    rejects(
      () => reattachFromEnv(undefined, { env: { TF_REATTACH_PROVIDERS: '{}' } }),
      'TF_REATTACH_PROVIDERS: holds 0 providers (none); which one is ambiguous',
      'TF_REATTACH_PROVIDERS',
    );
    rejects(
      () => reattachFromEnv('other', { env: { TF_REATTACH_PROVIDERS: PROVIDERS } }),
      'TF_REATTACH_PROVIDERS: has no provider "other" (it has "registry.terraform.io/hashicorp/kv")',
      'TF_REATTACH_PROVIDERS',
    );
  });
});
