#!/usr/bin/env node
/**
 * qplugin: run Quorum plugins like geth, build and sign distributions geth
 * accepts, check plugins for what would stop geth from loading them.
 */
import { parse, UsageError } from './args.js';
import { ExitCode } from './command.js';
import { commands } from './commands/index.js';
import { COMMON, help, overview } from './help.js';
import { printError } from './error-report.js';
import { relaunchWithNodeFlags } from './relaunch.js';
import { defaultIo } from './output.js';
import type { Io } from './output.js';

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(overview() + '\n');
    return name ? ExitCode.ok : ExitCode.usage;
  }
  if (name === '--version') {
    process.stdout.write('qplugin 0.1.0\n');
    return ExitCode.ok;
  }
  const io = defaultIo(rest.includes('--json'));
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    if (io.json) {
      const known = commands.map((c) => c.name).join(', ');
      printError(io, name, new UsageError(`unknown command ${JSON.stringify(name)}`), `commands: ${known}`);
    }
    process.stderr.write(`qplugin: unknown command ${JSON.stringify(name)}\n\n${overview()}\n`);
    return ExitCode.usage;
  }
  const command = await entry.load();
  try {
    const parsed = parse(rest, { ...command.options, ...COMMON });
    if (parsed.values.help === true) {
      io.stdout.write(help(command) + '\n');
      return ExitCode.ok;
    }
    return await command.run(parsed, io);
  } catch (err) {
    if (err instanceof UsageError) {
      if (io.json) printError(io, name, err, `usage: ${command.usage}`);
      io.stderr.write(`qplugin ${name}: ${err.message}\nusage: ${command.usage}\n`);
      return ExitCode.usage;
    }
    printError(io, name, err);
    return ExitCode.failed;
  }
}

/**
 * Reports what escapes every await (an error event nobody handled, a
 * rejection nobody awaited) like any other failure, code included, then
 * exits 1; process 'exit' hooks still stop managed plugins. Installed by the
 * executable only, so importing main() changes no process state.
 */
export function reportUncaught(argv: readonly string[]): void {
  const [name = '', ...rest] = argv;
  const io: Io = defaultIo(rest.includes('--json'));
  const crash = (err: unknown): void => {
    try {
      printError(io, name, err);
    } finally {
      process.exit(ExitCode.failed);
    }
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}

/** The executable: run one command and exit with its code. */
export async function runCli(argv: readonly string[]): Promise<void> {
  reportUncaught(argv);
  process.exitCode = await main(argv);
}

// Run when executed directly (`node dist/src/main.js …`), not when imported by the bin launcher or tests.
// Like the launcher, `qplugin run` first replaces the process with one whose young generation is capped.
if (process.argv[1] && import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1]).href) {
  relaunchWithNodeFlags();
  await runCli(process.argv.slice(2));
}
