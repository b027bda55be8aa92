/** goPlatform: Node's platform/arch names mapped to Go's GOOS/GOARCH. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { goPlatform } from '../src/settings/index.js';

describe('goPlatform', () => {
  const os: [string, string][] = [
    ['linux', 'linux'],
    ['darwin', 'darwin'],
    ['win32', 'windows'],
    ['freebsd', 'freebsd'],
    ['openbsd', 'openbsd'],
    ['netbsd', 'netbsd'],
    ['aix', 'aix'],
    ['sunos', 'solaris'],
    ['android', 'android'],
  ];
  for (const [node, go] of os) {
    it(`platform ${node} → ${go}`, () => assert.equal(goPlatform(node, 'x64').os, go));
  }

  const arch: [string, 'BE' | 'LE', string][] = [
    ['x64', 'LE', 'amd64'],
    ['ia32', 'LE', '386'],
    ['arm64', 'LE', 'arm64'],
    ['arm', 'LE', 'arm'],
    ['ppc64', 'LE', 'ppc64le'],
    ['ppc64', 'BE', 'ppc64'],
    ['s390x', 'BE', 's390x'],
    ['riscv64', 'LE', 'riscv64'],
    ['loong64', 'LE', 'loong64'],
    ['mips', 'BE', 'mips'],
    ['mipsel', 'LE', 'mipsle'],
  ];
  for (const [node, order, go] of arch) {
    it(`arch ${node} (${order}) → ${go}`, () => assert.equal(goPlatform('linux', node, order).arch, go));
  }

  it('names Go does not share pass through unchanged', () => {
    assert.deepEqual(goPlatform('haiku', 'ppc', 'BE'), { os: 'haiku', arch: 'ppc' });
  });

  it('defaults to this machine', () => {
    const here = goPlatform();
    assert.equal(here.os, goPlatform(process.platform, process.arch).os);
    assert.ok(!['x64', 'win32', 'ia32'].includes(here.arch) && !['win32'].includes(here.os));
  });
});
