/** The shape of a `qplugin` command, and the exit codes all commands share. */
import type { OptionSpecs, Parsed } from './args.js';
import type { Io } from './output.js';

export const ExitCode = {
  ok: 0,
  /** The operation failed (the error says why). */
  failed: 1,
  /** Bad command line. */
  usage: 2,
  /** The command ran, and its verdict is negative (verify: bad signature; check: a conformance point failed). */
  rejected: 3,
} as const;

export interface Command {
  name: string;
  /** e.g. `qplugin pack --name N --version V (--entry FILE | --executable FILE) [options]` */
  usage: string;
  options: OptionSpecs;
  /** More --help text after the options. */
  details?: string;
  run(args: Parsed, io: Io): Promise<number>;
}
