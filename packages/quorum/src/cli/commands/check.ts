/** `qplugin check`: a conformance doctor for a plugin in any language, run as geth would run it. */
import { formatReport, summarize } from '../check/report.js';
import { runCheck } from '../check/runner.js';
import { commandTarget, isZipTarget, zipTarget } from '../check/target.js';
import type { CheckTarget } from '../check/target.js';
import { resolveConfig } from '../../settings/index.js';
import type { RawConfig } from '../../settings/index.js';
import { bool, str, UsageError } from '../args.js';
import { ExitCode } from '../command.js';
import type { Command } from '../command.js';
import { printResult } from '../output.js';

/** `--config`: JSON text, or a file:// / env:// reference as in geth's settings. */
async function initConfig(value: string | undefined): Promise<{ bytes: Uint8Array; given: boolean }> {
  if (value === undefined) return { bytes: new TextEncoder().encode('{}'), given: false };
  if (/^(file|env):\/\//i.test(value)) return { bytes: await resolveConfig(value), given: true };
  let parsed: RawConfig;
  try {
    parsed = JSON.parse(value) as RawConfig;
  } catch (err) {
    throw new UsageError(`--config must be JSON or a file:// URL: ${(err as Error).message}`);
  }
  // A JSON string is sent as its text, like a string config in geth's settings.
  return { bytes: await resolveConfig(parsed), given: true };
}

export const check: Command = {
  name: 'check',
  summary: 'run a plugin (any language) as geth would and report what would stop geth from using it',
  usage: 'qplugin check [options] <plugin.zip>   |   qplugin check [options] -- <command> [args...]',
  options: {
    timeout: {
      type: 'string',
      value: 'SECONDS',
      description: "how long to wait for the handshake line (geth's start timeout is 60)",
      default: '60',
    },
    config: {
      type: 'string',
      value: 'JSON|file://…',
      description: 'configuration sent in Init (default {}; plugin-specific)',
    },
    verify: {
      type: 'boolean',
      description: 'zip only: verify <zip>.sha256sum.asc with --key (or gpg.key beside the zip) first',
    },
    key: { type: 'string', value: 'URI', description: 'public key for --verify (implies --verify)' },
    verbose: { type: 'boolean', short: 'v', description: "copy the plugin's stderr to stderr" },
  },
  details:
    'Points: 1 cookie, 2 handshake, 3 certificate, 4 mtls, 5 health, 6 init, 7 stdio, 8 shutdown, 9 orphans, 10 stderr-log.\n' +
    'A zip is unpacked with the safe unpacker and its plugin-meta.json entrypoint run in the unpack directory;\n' +
    'nothing is verified unless --verify or --key is given.\n' +
    `Exit status: ${ExitCode.ok} no point failed (warnings allowed), ${ExitCode.rejected} a point failed, ${ExitCode.failed} the check could not run.`,
  async run({ values, positionals }, io) {
    if (positionals.length === 0)
      throw new UsageError('give a plugin zip, or -- and the command that starts the plugin');
    const seconds = Number(str(values.timeout) ?? '60');
    if (!Number.isFinite(seconds) || seconds <= 0)
      throw new UsageError('--timeout must be a positive number of seconds');
    const key = str(values.key);
    const verify = bool(values.verify) || key !== undefined;
    const zip = isZipTarget(positionals);
    if (verify && !zip) throw new UsageError('--verify and --key apply to a plugin zip only');
    const config = await initConfig(str(values.config));

    const target: CheckTarget = zip
      ? await zipTarget(positionals[0]!, { verify, ...(key !== undefined ? { key } : {}) })
      : commandTarget(positionals);
    let report;
    try {
      report = await runCheck({
        command: target.command,
        args: target.args,
        ...(target.cwd !== undefined ? { cwd: target.cwd } : {}),
        timeoutMs: seconds * 1000,
        config,
        ...(bool(values.verbose) ? { echo: io.stderr } : {}),
      });
    } finally {
      await target.cleanup();
    }
    const summary = summarize(report.points);
    const title = `qplugin check ${zip ? positionals[0] : positionals.join(' ')}`;
    printResult(
      io,
      {
        ok: summary.fail === 0,
        target: target.describe,
        summary,
        handshake: report.handshake ?? null,
        points: report.points,
      },
      formatReport(title, report.points, io.tty),
    );
    return summary.fail > 0 ? ExitCode.rejected : ExitCode.ok;
  },
};
