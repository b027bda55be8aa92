/**
 * Node.js flags a packed plugin starts with. The default caps V8's young
 * generation, which under load grows to half of a busy plugin's RSS on Node
 * 24 (209–231 MB against 115–128 MB with a 4 MB cap; calls/s at 64 in flight
 * 0.87–1.26× in paired rounds, where a 2 MB cap cost ~10 %; bench/findings.md §15).
 * The second flag starts the young generation at that size instead of
 * growing it there: what a plugin allocates while it loads is nearly all kept,
 * so the scavenges a smaller start would run copy it for nothing (spawn →
 * handshake CPU −2 ms on Node 24 with no change in memory, −3 to −11 ms on
 * Node 20 for +3 MB under load; a code cache is made under the same flags, as
 * Node 20 rejects one made under others; bench/findings.md §32).
 * V8 reads heap sizes only at start-up, so the flags cannot be set from inside
 * the plugin: they have to be on the command line that starts Node.
 *
 * How each pack kind carries the flags:
 * - bundle / code-cache loader: a first line geth can exec on any POSIX
 *   system (`#!/bin/sh`), and a second line that is a shell `exec` for sh and
 *   a string plus a comment for JavaScript. `env -S` would be one line shorter,
 *   but busybox's env (Alpine, where Quorum's images live) has no `-S`.
 * - single executable: the SEA config's `execArgv`.
 */
import { spawn } from 'node:child_process';

import { QuorumError } from '@qplugin/quorum/core/internal';

export { DEFAULT_NODE_FLAGS } from './default-node-flags.js';

/**
 * A flag, optionally with a value of plain characters: the flags land in a
 * shell line, so nothing a shell would read as quoting, expansion or a
 * command separator may pass.
 */
const FLAG = /^--[a-z0-9][a-z0-9-]*(=[\w.,:+/@%-]+)?$/;

/** Splits `--node-flags` text on whitespace and checks each flag's shape. */
export function parseNodeFlags(text: string): string[] {
  const flags = text.split(/\s+/).filter((f) => f !== '');
  checkNodeFlagShapes(flags);
  return flags;
}

export function checkNodeFlagShapes(flags: readonly string[]): void {
  for (const flag of flags) {
    if (!FLAG.test(flag)) {
      throw new QuorumError(
        'PACK_INPUT',
        `Node.js flag ${JSON.stringify(flag)} is not of the form --name or --name=value`,
        {
          fix: 'Give Node.js/V8 flags such as --max-semi-space-size=4; values may use letters, digits and . , : + / @ % _ - only (the flags are written into a shell line).',
          details: { flag },
        },
      );
    }
  }
}

/** Refuses flags the packing Node.js does not accept (`node <flags> -e 0` must exit 0). */
export async function checkNodeAccepts(node: string, flags: readonly string[]): Promise<void> {
  if (flags.length === 0) return;
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(node, [...flags, '-e', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
  if (result.code !== 0) {
    throw new QuorumError(
      'PACK_INPUT',
      `Node.js ${node} refuses the plugin's flags ${flags.join(' ')}: ${result.stderr.trim().split('\n')[0] || `exit ${result.code}`}`,
      {
        fix: 'Drop or correct the flag in --node-flags (node --help and node --v8-options list what this Node accepts).',
        details: { node, flags: [...flags] },
      },
    );
  }
}

/**
 * The first lines of a bundle or loader: `#!/usr/bin/env node` without
 * flags; with flags, sh execs node with them on this same file (node skips
 * the `#!` line; the second line is an expression statement and a comment).
 */
export function launchHeader(flags: readonly string[]): string {
  if (flags.length === 0) return '#!/usr/bin/env node\n';
  checkNodeFlagShapes(flags);
  return `#!/bin/sh\n":" //; exec node ${flags.join(' ')} "$0" "$@"\n`;
}
