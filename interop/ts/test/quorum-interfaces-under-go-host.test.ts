/**
 * The TS security, account and qlight example plugins under a real Go host
 * built with go-plugin v1.2.2 (geth's pin) with Quorum's handshake and
 * AutoMTLS, as geth configures it. The Go side checks the TLS material with
 * crypto/tls and geth's policy, and decodes and checks the qlight JWTs with
 * its standard library; the TS side applies geth's access rules to what Go
 * received and verifies the plugin's signatures. Each example runs as
 * compiled (node), as `qplugin pack`'s default and `--no-code-cache` packs and
 * as a single executable (`qplugin pack --sea`, and with `--snapshot`: the
 * examples' top-level code runs once at pack time, frozen into the snapshot).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { generateCertificate } from '@qplugin/go-plugin/internal';
import { expectNoProcesses, isAlive } from '@qplugin/go-plugin/testing';
import { packPlugin } from '@qplugin/cli';
import { SecurityError, checkAccess } from '@qplugin/quorum';
import { privateKeyToAddress, recoverAddress } from '@qplugin/quorum/account-crypto/internal';
import type { AuthenticatedToken } from '@qplugin/quorum';

import { REPO_ROOT, goPeer, interopSkip } from '../src/support/go.js';
import { runGoHost, step } from '../src/support/gohost.js';
import type { HostRun } from '../src/support/gohost.js';
import { nodePlugin } from '../src/support/paths.js';
import { seaNode } from '../src/support/sea.js';

const skip = interopSkip();
const example = (name: string): string => join(REPO_ROOT, 'examples', name, 'dist', 'src', 'main.js');
const SECURITY_PLUGIN = example('security');
const ACCOUNT_PLUGIN = example('account');
const QLIGHT_PLUGIN = example('qlight');
const scratch = mkdtempSync(join(tmpdir(), 'qp-it-quorum-'));
/** Extra argv marking this file's plugin processes (test files run in parallel). */
const TOKEN = `--qp-test=${randomUUID()}`;
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs the v1.2.2 host (AutoMTLS on) in a private TMPDIR and checks nothing is left behind. */
async function run(plugin: string[], steps: string[]): Promise<HostRun> {
  assert.ok(existsSync(plugin.at(-1)!), `${plugin.at(-1)} is not built: run \`npx tsc -b\``);
  for (const s of steps) assert.ok(!s.includes(';;'), `step ${s} would be split`);
  const tmp = mkdtempSync(join(scratch, 'run-'));
  const result = await runGoHost(goPeer('v1.2.2').host, {
    automtls: true,
    plugin: [...plugin, TOKEN],
    steps,
    env: { ...process.env, TMPDIR: tmp },
  });
  assert.equal(step(result, 'start').ok, true, result.log);
  const kill = step(result, 'kill');
  assert.equal(kill.exited, true, 'the host saw the plugin exit');
  assert.ok(!isAlive(kill.pid as number), `plugin pid ${String(kill.pid)} is still alive`);
  assert.doesNotMatch(result.log, /plugin failed to exit gracefully/);
  assert.deepEqual(readdirSync(tmp), [], 'the plugin removed its socket');
  await expectNoProcesses(TOKEN);
  return result;
}

/** The failure of a step as [code, message]. */
const failure = (s: Record<string, unknown>): [unknown, unknown] => [s.code, s.message];

/**
 * Each example as compiled (run by node), packed as `qplugin pack` makes it by
 * default (CommonJS bundle + V8 code cache) and with `--no-code-cache` (ES
 * module bundle), both exec'd as geth does through the zip's entrypoint, and
 * as a single executable (`qplugin pack --sea`, built once here with a
 * Node >= 22; no Node needed by the host).
 */
const VARIANTS = ['node', 'code cache', 'bundle', 'sea', 'sea snapshot'] as const;
type Variant = (typeof VARIANTS)[number];
const seaBuild = skip ? { node: '', skip: false as const } : await seaNode();
const FORMATS = { 'code cache': 'code-cache', bundle: 'bundle', sea: 'sea', 'sea snapshot': 'sea' } as const;

/** The plugin's argv for a variant; packs it (and unzips the pack) on first use. */
async function pluginArgv(variant: Variant, main: string, name: string): Promise<string[]> {
  if (variant === 'node') return nodePlugin(main);
  const out = join(scratch, `${variant.replaceAll(' ', '-')}-${name}`);
  const packed = await packPlugin({
    name,
    version: '1.0.0',
    entry: main,
    outDir: out,
    ...(variant === 'sea' ? { sea: { node: seaBuild.node } } : {}),
    ...(variant === 'sea snapshot' ? { sea: { node: seaBuild.node, snapshot: true } } : {}),
    ...(variant === 'bundle' ? { codeCache: false } : {}),
  });
  assert.equal(packed.format, FORMATS[variant], `${name} packed as ${variant}`);
  assert.equal(
    packed.sea?.snapshot,
    variant === 'sea snapshot' ? true : variant === 'sea' ? false : undefined,
  );
  const dir = join(out, 'unpacked');
  execFileSync('unzip', ['-q', packed.zipPath, '-d', dir]);
  return [join(dir, packed.entrypoint)];
}

for (const variant of VARIANTS) {
  const variantSkip = skip || (variant.startsWith('sea') ? seaBuild.skip : false);

  describe(`TS security plugin (${variant}) under a go-plugin v1.2.2 Go host`, { skip: variantSkip }, () => {
    let certFile = '';
    let keyFile = '';
    let plugin: string[] = [];
    before(async () => {
      plugin = await pluginArgv(variant, SECURITY_PLUGIN, 'security');
      const cert = await generateCertificate({ curve: 'P-256' });
      certFile = join(scratch, 'cert.pem');
      keyFile = join(scratch, 'key.pem');
      writeFileSync(certFile, cert.pem);
      writeFileSync(keyFile, cert.privateKeyPem);
    });

    it("TLS material works in Go's crypto/tls with geth's policy; tokens decide as geth would", async () => {
      const tls = { certFile, keyFile };
      const tokens = {
        good: {
          expiresAt: '2031-01-01T00:00:00.5Z',
          authorities: ['eth_*', { service: '*', method: 'nodeInfo' }],
        },
        old: { expiresAt: 1_600_000_000, authorities: ['*_*'] },
      };
      const init = (cfg: unknown): string => `init:${JSON.stringify(cfg)}`;
      const r = await run(plugin, [
        init({ tls, tokens }),
        'tls',
        'auth:Bearer good',
        'auth:old',
        'auth:Bearer nope',
        init({ tls: { ...tls, cipherSuites: [0xc02b] } }),
        'tls',
        init({ tls: { ...tls, cipherSuites: [0x7fffffff] } }),
        'tls',
        init({}),
        'tls',
        'auth:good',
        init({ tls: 5 }),
      ]);

      const defaults = step(r, 'tls', 0);
      assert.equal(defaults.has_data, true);
      assert.equal(defaults.subject, 'CN=localhost,O=HashiCorp');
      assert.equal(defaults.cipher_count, 0);
      assert.equal(
        defaults.handshake_suite,
        'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
        JSON.stringify(defaults),
      );
      assert.equal(step(r, 'tls', 1).handshake_suite, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
      assert.equal(step(r, 'tls', 2).config_error, 'cipher suite value overflow');
      assert.deepEqual(failure(step(r, 'tls', 3)), ['Unimplemented', 'no configuration']);
      assert.deepEqual(failure(step(r, 'auth', 3)), ['Unimplemented', 'no configuration']);

      // What Go decoded, run through geth's access rules on the TS side.
      const received = (s: Record<string, unknown>): AuthenticatedToken => ({
        rawToken: Buffer.from(String(s.raw_token)),
        expiredAt: { seconds: BigInt(s.expires_unix as number), nanos: s.expires_nanos as number },
        authorities: s.authorities as AuthenticatedToken['authorities'],
      });
      const good = step(r, 'auth', 0);
      assert.equal(good.expires_at, '2031-01-01T00:00:00.5Z');
      const now = Date.parse('2030-06-01T00:00:00Z');
      checkAccess(received(good), 'eth', 'blockNumber', now);
      checkAccess(received(good), 'admin', 'nodeInfo', now);
      assert.throws(() => checkAccess(received(good), 'admin', 'peers', now), {
        message: 'admin_peers - access denied',
      });
      assert.throws(
        () => checkAccess(received(step(r, 'auth', 1)), 'eth', 'blockNumber', now),
        (e: unknown) => e instanceof SecurityError && e.message === 'token expired',
      );
      assert.deepEqual(failure(step(r, 'auth', 2)), ['Unauthenticated', 'invalid token']);
      const bad = step(r, 'init', 4);
      assert.equal(bad.code, 'InvalidArgument');
      assert.equal(bad.message, 'tls: must be a JSON object');
    });
  });

  describe(`TS account plugin (${variant}) under a go-plugin v1.2.2 Go host`, { skip: variantSkip }, () => {
    let plugin: string[] = [];
    before(async () => {
      plugin = await pluginArgv(variant, ACCOUNT_PLUGIN, 'account');
    });

    it('creates, imports, lists, unlocks and signs; signatures recover to the account', async () => {
      const key = randomBytes(32).toString('hex');
      const address = privateKeyToAddress(Buffer.from(key, 'hex'));
      const [h1, h2] = [randomBytes(32), randomBytes(32)].map((h) => `0x${h.toString('hex')}`) as [
        string,
        string,
      ];
      const r = await run(plugin, [
        'init:',
        'account-new:{"passphrase":"pw"}',
        `account-import:${key}|{"passphrase":"se:cret"}`,
        'account-import:aaaaaa|{}',
        'account-list',
        `account-contains:${address}`,
        `account-sign:${address}:${h1}`,
        `account-unlock-sign:${address}:se:cret:${h1}`,
        `unlock:${address}:wrong:0`,
        `unlock:${address}:se:cret:0`,
        'account-status',
        `account-sign:${address}:${h2}`,
        `lock:${address}`,
        `account-sign:${address}:${h2}`,
      ]);

      const created = step(r, 'account-new');
      assert.match(String(created.address), /^0x[0-9a-f]{40}$/);
      assert.equal(created.url, `inmemory://${String(created.address)}`);
      assert.equal(step(r, 'account-import', 0).address, address);
      assert.deepEqual(failure(step(r, 'account-import', 1)), [
        'InvalidArgument',
        'rawKey: must be 64 hex digits (a 32-byte private key)',
      ]);
      assert.deepEqual(step(r, 'account-list').accounts, [
        { address: created.address, url: created.url },
        { address, url: `inmemory://${address}` },
      ]);
      assert.equal(step(r, 'account-contains').value, true);

      const hash = (h: string): Buffer => Buffer.from(h.slice(2), 'hex');
      const sig = (s: Record<string, unknown>): Buffer => Buffer.from(String(s.sig).slice(2), 'hex');
      assert.equal(step(r, 'account-sign', 0).code, 'FailedPrecondition');
      assert.equal(recoverAddress(hash(h1), sig(step(r, 'account-unlock-sign'))), address);
      assert.equal(step(r, 'unlock', 0).code, 'PermissionDenied');
      assert.equal(step(r, 'unlock', 1).ok, true);
      assert.equal(step(r, 'account-status').value, 'ok: 2 account(s), 1 unlocked');
      const signed = sig(step(r, 'account-sign', 1));
      assert.equal(signed.length, 65);
      assert.ok(signed[64]! <= 1, 'V is 0 or 1');
      assert.equal(recoverAddress(hash(h2), signed), address);
      assert.equal(step(r, 'lock').ok, true);
      assert.equal(step(r, 'account-sign', 2).code, 'FailedPrecondition');
    });
  });

  describe(`TS qlight plugin (${variant}) under a go-plugin v1.2.2 Go host`, { skip: variantSkip }, () => {
    let plugin: string[] = [];
    before(async () => {
      plugin = await pluginArgv(variant, QLIGHT_PLUGIN, 'qlight');
    });

    it('says how early to refresh and issues tokens whose expiry and signature Go reads', async () => {
      const secret = 'interop-secret';
      const config = { refreshAnticipationInMillisecond: 1500, lifetimeSeconds: 60, hmacSecret: secret };
      const before = Math.floor(Date.now() / 1000);
      const r = await run(plugin, [
        'qlight-prefs',
        'qlight-refresh:psi1|',
        `init:${JSON.stringify(config)}`,
        'qlight-prefs',
        'qlight-refresh:psi1|',
        `qlight-refresh:private-2|Bearer old|${secret}`,
        `qlight-refresh:psi1||wrong-secret`,
        `init:${JSON.stringify({ refreshAnticipationInMillisecond: 0, tokenPrefix: 'Token ' })}`,
        'qlight-refresh:psi1|',
        'init:{"refreshAnticipationInMillisecond":-1}',
        'qlight-prefs',
      ]);
      const after = Math.floor(Date.now() / 1000);

      // Before Init: the plugin refuses both calls, as geth would report them.
      const unready = ['FailedPrecondition', 'plugin not initialized'];
      assert.deepEqual(failure(step(r, 'qlight-prefs', 0)), unready);
      assert.deepEqual(failure(step(r, 'qlight-refresh', 0)), unready);

      assert.equal(step(r, 'qlight-prefs', 1).refresh_anticipation_ms, 1500);
      const first = step(r, 'qlight-refresh', 1);
      assert.equal(first.jwt_error, undefined, JSON.stringify(first));
      assert.equal(first.scheme, 'Bearer');
      assert.equal(first.alg, 'HS256');
      assert.equal(first.typ, 'JWT');
      assert.equal(first.psi, 'psi1');
      assert.equal(first.sub, 'psi1');
      const iat = first.iat as number;
      assert.ok(iat >= before && iat <= after, `iat ${iat} within [${before}, ${after}]`);
      assert.equal(first.exp, iat + 60);

      // The HS256 signature, checked by Go's crypto/hmac, for another PSI; a wrong secret fails it.
      const second = step(r, 'qlight-refresh', 2);
      assert.equal(second.psi, 'private-2');
      assert.equal(second.signature_valid, true);
      assert.equal(step(r, 'qlight-refresh', 3).signature_valid, false);
      assert.notEqual(second.token, first.token);

      // Reconfigured: another scheme, unsigned (alg none), the default lifetime.
      const unsigned = step(r, 'qlight-refresh', 4);
      assert.equal(unsigned.scheme, 'Token');
      assert.equal(unsigned.alg, 'none');
      assert.equal(unsigned.exp, (unsigned.iat as number) + 300);
      assert.match(String(unsigned.token), /^Token [\w-]+\.[\w-]+\.$/);

      // A rejected configuration is an InvalidArgument naming the field, and leaves the previous one.
      assert.deepEqual(failure(step(r, 'init', 2)), [
        'InvalidArgument',
        'refreshAnticipationInMillisecond: required, an integer in 0..2147483647',
      ]);
      assert.equal(step(r, 'qlight-prefs', 2).refresh_anticipation_ms, 0);
    });
  });
}
