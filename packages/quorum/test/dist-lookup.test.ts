/**
 * Finding the zip in baseDir (both names, which wins, empty files), central
 * URL building (RFC 3986, same origin: utils_test isValidTargetURL) and the
 * path template renderer.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { createLogger } from '@qplugin/go-plugin/protocol';

import {
  centralURLs,
  distributionFileNames,
  findLocalDistribution,
  isSameOrigin,
  parseBaseURL,
  resolveCentralURL,
  signatureFileFor,
} from '../src/distribution/index.js';
import type { CentralConfig } from '../src/settings/types.js';
import { PLATFORM, Scratch } from './fixtures/distribution/support.js';

const scratch = new Scratch('qp-dist-lookup-');
const DEF = { name: 'quorum-plugin-hello-world', version: '1.0.0' };
const PLATFORM_ZIP = 'quorum-plugin-hello-world-1.0.0-linux-amd64.zip';
const PLAIN_ZIP = 'quorum-plugin-hello-world-1.0.0.zip';

function logCapture(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  return {
    logger: createLogger((level, message) => lines.push(`${level} ${message}`), { level: 'trace' }),
    lines,
  };
}

describe('distribution file names', () => {
  it("geth's DistFileName and the seed doc's name; the name's case is kept (service_test)", () => {
    assert.deepEqual(distributionFileNames(DEF, PLATFORM), { platform: PLATFORM_ZIP, plain: PLAIN_ZIP });
    assert.equal(
      distributionFileNames({ name: 'arbitrary-helloWorld', version: '1.0.0' }, PLATFORM).platform,
      'arbitrary-helloWorld-1.0.0-linux-amd64.zip',
    );
    assert.equal(
      distributionFileNames({ name: 'foo-bar', version: '2.0.0' }, { os: 'darwin', arch: 'arm64' }).platform,
      'foo-bar-2.0.0-darwin-arm64.zip',
    );
    assert.equal(signatureFileFor('/p/x.zip'), '/p/x.zip.sha256sum.asc');
  });
});

describe('findLocalDistribution', () => {
  it('finds the platform-specific name', async () => {
    const dir = scratch.sub('platform');
    writeFileSync(join(dir, PLATFORM_ZIP), 'zip');
    const found = await findLocalDistribution(dir, DEF, PLATFORM);
    assert.deepEqual(found, {
      path: join(dir, PLATFORM_ZIP),
      fileName: PLATFORM_ZIP,
      form: 'platform',
      size: 3,
    });
  });

  it('finds the plain name', async () => {
    const dir = scratch.sub('plain');
    writeFileSync(join(dir, PLAIN_ZIP), 'zip');
    assert.equal((await findLocalDistribution(dir, DEF, PLATFORM))?.form, 'plain');
  });

  it('prefers the platform-specific name when both exist, and says so', async () => {
    const dir = scratch.sub('both');
    writeFileSync(join(dir, PLATFORM_ZIP), 'zip1');
    writeFileSync(join(dir, PLAIN_ZIP), 'zip2');
    const { logger, lines } = logCapture();
    const found = await findLocalDistribution(dir, DEF, PLATFORM, logger);
    assert.equal(found?.path, join(dir, PLATFORM_ZIP));
    assert.ok(lines.includes('info both plugin zip names exist; using the platform-specific one'));
    assert.ok(lines.includes('debug checking plugin zip file'));
  });

  it('never treats a 0-byte file as present (the geth leftover-download bug)', async () => {
    const dir = scratch.sub('empty');
    writeFileSync(join(dir, PLATFORM_ZIP), '');
    const { logger, lines } = logCapture();
    assert.equal(await findLocalDistribution(dir, DEF, PLATFORM, logger), undefined);
    assert.ok(lines.some((l) => l.startsWith('warn ignoring empty plugin zip file')));
    writeFileSync(join(dir, PLAIN_ZIP), 'zip');
    assert.equal(
      (await findLocalDistribution(dir, DEF, PLATFORM))?.form,
      'plain',
      'falls back to the non-empty plain zip',
    );
  });

  it('ignores a directory with the zip name', async () => {
    const dir = scratch.sub('dir');
    mkdirSync(join(dir, PLATFORM_ZIP));
    assert.equal(await findLocalDistribution(dir, DEF, PLATFORM), undefined);
  });

  it('nothing there', async () => {
    assert.equal(await findLocalDistribution(scratch.sub('none'), DEF, PLATFORM), undefined);
  });
});

// §7 utils_test isValidTargetURL.
describe('same-origin rule', () => {
  it('isValidTargetURL cases', () => {
    assert.equal(isSameOrigin('https://localhost.com', 'http://localhost.com'), false, 'scheme mismatch');
    assert.equal(isSameOrigin('https://localhost', 'http://localhost.com'), false);
    assert.equal(isSameOrigin('http://localhost.com', 'http://localhost.com'), true);
    assert.equal(
      isSameOrigin('https://localhost.com/../../', 'https://localhost.com'),
      true,
      'only scheme and host matter',
    );
  });

  it('ports count; default ports are normalised', () => {
    assert.equal(isSameOrigin('https://h:8443/', 'https://h:9443/'), false);
    assert.equal(isSameOrigin('https://h:443/', 'https://h/'), true);
    assert.equal(isSameOrigin('not a url', 'https://h/'), false);
  });
});

describe('central URLs', () => {
  it('RFC 3986 resolution: the trailing slash on baseURL matters', () => {
    assert.equal(resolveCentralURL('https://h/a/b', 'gpg.key').href, 'https://h/a/gpg.key');
    assert.equal(resolveCentralURL('https://h/a/b/', 'gpg.key').href, 'https://h/a/b/gpg.key');
    assert.equal(resolveCentralURL('https://h/a/b/', '/gpg.key').href, 'https://h/gpg.key');
    assert.equal(resolveCentralURL('https://h/aa/bb/cc/', '../../gpg.key').href, 'https://h/aa/gpg.key');
    assert.throws(
      () => resolveCentralURL('https://h/', 'https://evil/gpg.key'),
      /target host doesnt match base host/,
    );
  });

  it("geth's default central configuration gives the documented URLs", () => {
    const central: CentralConfig = {
      baseURL: 'https://artifacts.consensys.net/public/quorum-go-plugins/',
      pluginDistPathTemplate: 'maven/bin/{{.Name}}/{{.Version}}/{{.Name}}-{{.Version}}-{{.OS}}-{{.Arch}}.zip',
      pluginSigPathTemplate:
        'maven/bin/{{.Name}}/{{.Version}}/{{.Name}}-{{.Version}}-{{.OS}}-{{.Arch}}-sha256.checksum.asc',
      publicKeyURI: 'gpg.key',
      certFingerprint: '',
      insecureSkipTLSVerify: false,
    };
    const urls = centralURLs(
      central,
      { name: 'quorum-security-plugin-enterprise', version: '0.1.2' },
      PLATFORM,
    );
    const base = 'https://artifacts.consensys.net/public/quorum-go-plugins/';
    assert.equal(
      urls.distribution.href,
      `${base}maven/bin/quorum-security-plugin-enterprise/0.1.2/quorum-security-plugin-enterprise-0.1.2-linux-amd64.zip`,
    );
    assert.equal(
      urls.signature.href,
      `${base}maven/bin/quorum-security-plugin-enterprise/0.1.2/quorum-security-plugin-enterprise-0.1.2-linux-amd64-sha256.checksum.asc`,
    );
    assert.equal(urls.publicKey.href, `${base}gpg.key`);
  });

  it('an injected renderer replaces the built-in one', () => {
    const central: CentralConfig = {
      baseURL: 'https://h/',
      pluginDistPathTemplate: 'DIST',
      pluginSigPathTemplate: 'SIG',
      publicKeyURI: 'k',
      certFingerprint: '',
      insecureSkipTLSVerify: false,
    };
    const urls = centralURLs(central, DEF, PLATFORM, (t, d) => `${t.toLowerCase()}/${d.Name}`);
    assert.equal(urls.distribution.href, 'https://h/dist/quorum-plugin-hello-world');
  });

  it('bad base URLs', () => {
    assert.throws(
      () => parseBaseURL('ftp://h/'),
      (e: Error & { code?: string }) =>
        e.code === 'DIST_URL' && /unsupported Plugin Central scheme ftp:/.test(e.message),
    );
    assert.throws(
      () => parseBaseURL('no scheme'),
      (e: Error & { code?: string }) =>
        e.code === 'DIST_URL' && /invalid Plugin Central baseURL/.test(e.message),
    );
  });
});
