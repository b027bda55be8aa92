/**
 * Generated code is reproducible: running scripts/generate.sh into a scratch
 * tree gives exactly the committed files (TypeScript and Go).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';

import { interopSkip, REPO_ROOT } from '../src/support/go.js';

const GENERATED = [
  'packages/go-plugin/src/generated',
  'packages/quorum/src/generated',
  'interop/ts/src/generated',
  'interop/go/shared/pb',
  'interop/go/kv/kvpb',
];

function files(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path, base) : [relative(base, path)];
  });
}

describe('generated code', { skip: interopSkip() }, () => {
  const out = mkdtempSync(join(tmpdir(), 'qp-gen-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  it('matches what scripts/generate.sh produces from the .proto files', () => {
    execFileSync('bash', [join(REPO_ROOT, 'scripts', 'generate.sh')], {
      env: { ...process.env, GEN_OUT_ROOT: out },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    for (const dir of GENERATED) {
      const committed = files(join(REPO_ROOT, dir)).sort();
      assert.deepEqual(files(join(out, dir)).sort(), committed, `file list of ${dir}`);
      for (const f of committed) {
        assert.equal(
          readFileSync(join(out, dir, f), 'utf8'),
          readFileSync(join(REPO_ROOT, dir, f), 'utf8'),
          `${dir}/${f} is stale: run npm run generate`,
        );
      }
    }
  });
});
