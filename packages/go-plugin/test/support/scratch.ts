/** Temp directories and tiny executables for tests; everything is removed after the file's tests. */
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

export class Scratch {
  readonly dir: string;

  constructor(prefix = 'qp-test-') {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
    after(() => rmSync(this.dir, { recursive: true, force: true }));
  }

  /** A fresh empty subdirectory. */
  sub(name: string): string {
    return mkdtempSync(join(this.dir, `${name}-`));
  }

  /** Writes an executable sh script and returns its path. */
  script(name: string, body: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  }

  list(dir: string): string[] {
    return readdirSync(dir);
  }
}
