#!/usr/bin/env node
/**
 * qplugin: run Quorum plugins like geth, build and sign distributions geth
 * accepts, check plugins for what would stop geth from loading them.
 */
import { CodedError } from '@qplugin/go-plugin/protocol';

import { describeOptions, parse, UsageError } from './args.js';
import type { OptionSpecs } from './args.js';
import { ExitCode } from './command.js';
import type { Command } from './command.js';
import { commands } from './commands/index.js';
import { defaultIo } from './output.js';

const COMMON: OptionSpecs = {
  json: { type: 'boolean', description: 'print a JSON document for scripts instead of text' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

async function overview(): Promise<string> {
  const loaded = await Promise.all(commands.map((c) => c.load()));
  const width = Math.max(...loaded.map((c) => c.name.length)) + 2;
  return [
    'qplugin: Quorum plugins from Node.js',
    '',
    'usage: qplugin <command> [options]   (qplugin <command> --help for details)',
    '',
    'commands:',
    ...loaded.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    `exit codes: ${ExitCode.ok} ok, ${ExitCode.failed} failed, ${ExitCode.usage} usage error, ${ExitCode.rejected} verdict negative (verify, check)`,
  ].join('\n');
}

function help(c: Command): string {
  return [
    `${c.summary}\n`,
    `usage: ${c.usage}\n`,
    'options:',
    describeOptions({ ...c.options, ...COMMON }),
    c.details ? `\n${c.details}` : '',
  ]
    .join('\n')
    .trimEnd();
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write((await overview()) + '\n');
    return name ? ExitCode.ok : ExitCode.usage;
  }
  if (name === '--version') {
    process.stdout.write('qplugin 0.1.0\n');
    return ExitCode.ok;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`qplugin: unknown command ${JSON.stringify(name)}\n\n${await overview()}\n`);
    return ExitCode.usage;
  }
  const command = await entry.load();
  const json = rest.includes('--json');
  const io = defaultIo(json);
  try {
    const parsed = parse(rest, { ...command.options, ...COMMON });
    if (parsed.values.help === true) {
      io.stdout.write(help(command) + '\n');
      return ExitCode.ok;
    }
    return await command.run(parsed, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`qplugin ${name}: ${err.message}\nusage: ${command.usage}\n`);
      return ExitCode.usage;
    }
    const coded = err instanceof CodedError ? err : undefined;
    if (json) {
      io.stdout.write(
        JSON.stringify(
          {
            ok: false,
            error: {
              code: coded?.code,
              message: (err as Error).message,
              fix: coded?.fix,
              details: coded?.details,
            },
          },
          null,
          2,
        ) + '\n',
      );
    } else {
      io.stderr.write(
        `qplugin ${name}: ${coded ? coded.describe() : ((err as Error).stack ?? String(err))}\n`,
      );
    }
    return ExitCode.failed;
  }
}

// Run when executed (also through the bin launcher), not when imported by tests.
if (process.argv[1] && import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
