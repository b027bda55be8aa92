/**
 * `qplugin check`: the conformance kit's plugin check for a plugin in any
 * language, played as geth (the Quorum preset, with the Init point) or as
 * any go-plugin host (--preset, --cookie, --protocol-versions).
 */
import {
  KIT_PRESETS,
  formatReport,
  parseCookie,
  parseVersions,
  runPluginCheck,
  summarize,
} from '@qplugin/conformance';
import type { HostProfile, Preset } from '@qplugin/conformance';

import { initPoint } from '../check/init.js';
import { QUORUM_PRESET } from '../check/preset.js';
import { commandTarget, isZipTarget, zipTarget } from '../check/target.js';
import type { CheckTarget } from '../check/target.js';
import { resolveConfig } from '@qplugin/quorum/internal';
import type { RawConfig } from '@qplugin/quorum';
import { bool, str, UsageError } from '../args.js';
import type { Parsed } from '../args.js';
import { ExitCode } from '../command.js';
import type { Command } from '../command.js';
import { printResult } from '../output.js';
import { messageOf } from '@qplugin/go-plugin/protocol';

export const PRESETS: readonly Preset[] = [QUORUM_PRESET, ...KIT_PRESETS];

/** `--config`: JSON text, or a file:// / env:// reference as in geth's settings. */
async function initConfig(value: string | undefined): Promise<{ bytes: Uint8Array; given: boolean }> {
  if (value === undefined) return { bytes: new TextEncoder().encode('{}'), given: false };
  if (/^(file|env):\/\//i.test(value)) return { bytes: await resolveConfig(value), given: true };
  let parsed: RawConfig;
  try {
    parsed = JSON.parse(value) as RawConfig;
  } catch (err) {
    throw new UsageError(`--config must be JSON or a file:// URL: ${messageOf(err)}`);
  }
  // A JSON string is sent as its text, like a string config in geth's settings.
  return { bytes: await resolveConfig(parsed), given: true };
}

/** The preset named by --preset, with --cookie, --protocol-versions and --no-automtls applied. */
export function profileFromFlags(values: Parsed['values']): { preset: Preset; profile: HostProfile } {
  const name = str(values.preset) ?? QUORUM_PRESET.name;
  const preset = PRESETS.find((p) => p.name === name);
  if (!preset)
    throw new UsageError(
      `unknown --preset ${JSON.stringify(name)}; one of ${PRESETS.map((p) => p.name).join(', ')}`,
    );
  const profile: HostProfile = {
    host: preset.host,
    cookie: preset.cookie,
    protocolVersions: preset.protocolVersions,
    autoMTLS: preset.autoMTLS && !bool(values['no-automtls']),
  };
  const cookie = str(values.cookie);
  if (cookie !== undefined) {
    const parsed = parseCookie(cookie);
    if (!parsed) throw new UsageError('--cookie must be KEY=VALUE, e.g. BASIC_PLUGIN=hello');
    profile.cookie = parsed;
    profile.host = 'the host';
  }
  const versions = str(values['protocol-versions']);
  if (versions !== undefined) {
    const parsed = parseVersions(versions);
    if (!parsed)
      throw new UsageError('--protocol-versions must be positive integers separated by commas, e.g. 5,6');
    profile.protocolVersions = parsed;
  }
  return { preset, profile };
}

export const PROFILE_OPTIONS = {
  preset: {
    type: 'string',
    value: 'NAME',
    description: `the host to play: ${PRESETS.map((p) => p.name).join(', ')} (default quorum: geth)`,
  },
  cookie: {
    type: 'string',
    value: 'KEY=VALUE',
    description: 'magic cookie variable and value (overrides the preset)',
  },
  'protocol-versions': {
    type: 'string',
    value: 'LIST',
    description: 'app protocol versions offered, e.g. 5,6 (overrides the preset)',
  },
  'no-automtls': { type: 'boolean', description: 'play a host without AutoMTLS (no PLUGIN_CLIENT_CERT)' },
} as const;

export const check: Command = {
  name: 'check',
  usage: 'qplugin check [options] <plugin.zip>   |   qplugin check [options] -- <command> [args...]',
  options: {
    ...PROFILE_OPTIONS,
    'no-init': {
      type: 'boolean',
      description: 'skip the Quorum Init point (it runs with the quorum preset only)',
    },
    timeout: {
      type: 'string',
      value: 'SECONDS',
      description: "how long to wait for the handshake line (go-plugin's start timeout is 60)",
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
    'Points: cookie, handshake, certificate, mtls, health, init (quorum preset), stdio, shutdown, orphans, stderr-log;\n' +
    'each finding cites a rule of docs/protocol.md (e.g. [HS-7]).\n' +
    'Presets: ' +
    PRESETS.map((p) => `${p.name} (${p.description})`).join('; ') +
    '.\n' +
    'A zip is unpacked with the safe unpacker and its plugin-meta.json entrypoint run in the unpack directory;\n' +
    'nothing is verified unless --verify or --key is given.\n' +
    `Exit status: ${ExitCode.ok} no point failed (warnings allowed), ${ExitCode.rejected} a point failed, ${ExitCode.failed} the check could not run.`,
  async run({ values, positionals }, io) {
    if (positionals.length === 0)
      throw new UsageError('give a plugin zip, or -- and the command that starts the plugin');
    const seconds = Number(str(values.timeout) ?? '60');
    if (!Number.isFinite(seconds) || seconds <= 0)
      throw new UsageError('--timeout must be a positive number of seconds');
    const { preset, profile } = profileFromFlags(values);
    const withInit = preset === QUORUM_PRESET && !bool(values['no-init']);
    if (!withInit && str(values.config) !== undefined)
      throw new UsageError(
        '--config is sent in Init, which runs with the quorum preset only (not with --no-init)',
      );
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
      report = await runPluginCheck({
        command: target.command,
        args: target.args,
        ...(target.cwd !== undefined ? { cwd: target.cwd } : {}),
        timeoutMs: seconds * 1000,
        profile,
        extraPoints: withInit ? [initPoint(config)] : [],
        ...(bool(values.verbose) ? { echo: io.stderr } : {}),
      });
    } finally {
      await target.cleanup();
    }
    const summary = summarize(report.points);
    const built = report.goPlugin ? ` (Go, go-plugin ${report.goPlugin})` : '';
    const title = `qplugin check ${zip ? positionals[0] : positionals.join(' ')}${built}\nas ${profile.host}: ${profile.cookie.key}, versions ${profile.protocolVersions.join(',')}, ${profile.autoMTLS ? 'AutoMTLS' : 'no TLS'}`;
    printResult(
      io,
      {
        ok: summary.fail === 0,
        target: { ...target.describe, ...(report.goPlugin ? { goPlugin: report.goPlugin } : {}) },
        preset: preset.name,
        profile,
        summary,
        handshake: report.handshake ?? null,
        points: report.points,
      },
      formatReport(title, report.points, io.tty),
    );
    return summary.fail > 0 ? ExitCode.rejected : ExitCode.ok;
  },
};
