/**
 * `qplugin call`: start the one plugin configured for an interface (obtain,
 * verify, unpack, Init, as the node does), call one method, print the
 * result, stop it. With --reattach, talk to an already running plugin
 * instead (no settings, no Init, left running).
 */
import type { DescService } from '@bufbuild/protobuf';
import { PluginClient } from '@qplugin/go-plugin/host';
import { isGoPluginError } from '@qplugin/go-plugin';
import { parseReattachConfig } from '@qplugin/go-plugin/host';
import type { ReattachConfig } from '@qplugin/go-plugin/host';
import { isRpcError, messageOf } from '@qplugin/go-plugin/protocol';
import { toRpcError } from '@qplugin/go-plugin/internal';
import type { CallOptions, LogLevel, Logger } from '@qplugin/go-plugin/protocol';

import { QuorumError } from '@qplugin/quorum';
import { stringifyJson, decodeParams } from '@qplugin/quorum/internal';
import { QUORUM_HANDSHAKE } from '@qplugin/quorum';

import { INTERFACE_NAMES } from '@qplugin/quorum';
import type { InterfaceName } from '@qplugin/quorum';
import { str, UsageError } from '../args.js';
import type { Parsed } from '../args.js';
import { describeMethods, findMethod, METHODS } from '../call-methods.js';
import type { Dispense } from '../call-methods.js';
import { ExitCode } from '../command.js';
import { errorReport } from '../error-report.js';
import type { Command } from '../command.js';
import { cliLogger, printResult } from '../output.js';
import type { Io } from '../output.js';
import { managerFromFlags, PLUGIN_FLAGS } from '../plugin-flags.js';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'off'];

function parseParams(text: string | undefined): unknown[] {
  if (text === undefined) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`params must be a JSON array, e.g. '["Quorum"]': ${messageOf(err)}`);
  }
  if (!Array.isArray(value)) throw new UsageError(`params must be a JSON array, e.g. '["Quorum"]'`);
  return value;
}

/** ReattachConfig from JSON; only plugins started without AutoMTLS (no TLS material in JSON). */
function parseReattach(text: string): ReattachConfig {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--reattach must be JSON: ${messageOf(err)}`);
  }
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  // go-plugin's field names, as a test-mode plugin or TF_REATTACH_PROVIDERS gives them.
  if (Object.keys(o).some((k) => /^(protocol|addr|pid)$/i.test(k) && k !== k.toLowerCase())) {
    try {
      return parseReattachConfig(o, '--reattach');
    } catch (err) {
      throw new UsageError(isGoPluginError(err) ? err.message : String(err));
    }
  }
  const addr = (typeof o.addr === 'object' && o.addr !== null ? o.addr : {}) as Record<string, unknown>;
  if (o.tls !== undefined)
    throw new UsageError('--reattach with TLS material is not supported: start the plugin with AutoMTLS off');
  if (
    (o.protocol ?? 'grpc') !== 'grpc' ||
    typeof o.protocolVersion !== 'number' ||
    typeof o.pid !== 'number' ||
    (addr.network !== 'unix' && addr.network !== 'tcp') ||
    typeof addr.address !== 'string'
  )
    throw new UsageError(
      '--reattach needs {"protocol":"grpc","protocolVersion":N,"addr":{"network":"unix|tcp","address":"…"},"pid":N}',
    );
  return {
    protocol: 'grpc',
    protocolVersion: o.protocolVersion,
    addr: { network: addr.network, address: addr.address },
    pid: o.pid,
  };
}

/** Runs `use` with a dispenser for the interface's plugin, started and stopped around it. */
async function withPlugin<T>(
  iface: InterfaceName,
  values: Parsed['values'],
  logger: Logger,
  use: (d: Dispense) => Promise<T>,
): Promise<T> {
  const reattach = str(values.reattach);
  if (reattach !== undefined) {
    const client = new PluginClient({
      reattach: parseReattach(reattach),
      handshake: QUORUM_HANDSHAKE,
      logger,
    });
    await client.start();
    try {
      return await use(<S extends DescService>(svc: S) => client.client(svc));
    } finally {
      client.disconnect();
    }
  }
  if (!str(values.plugins)) throw new UsageError('--plugins is required (or --reattach)');
  // Only this provider: the others are neither downloaded nor started.
  const { manager } = await managerFromFlags(values, logger, (settings) => {
    const definition = settings.providers.get(iface);
    if (!definition)
      throw new QuorumError('PLUGIN_NOT_FOUND', `no such plugin provider: ${iface}`, {
        fix: `Configured providers in ${settings.source ?? str(values.plugins)}: ${[...settings.providers.keys()].join(', ') || 'none'}.`,
        details: { name: iface },
      });
    return { ...settings, providers: new Map([[iface, definition]]) };
  });
  await manager.start();
  try {
    return await use(<S extends DescService>(svc: S) => manager.client(iface, svc));
  } finally {
    await manager.stop();
  }
}

/**
 * What a failed call reports: gRPC failures keep Go's `rpc error: code = …
 * desc = …` text and code name (wrapped ones, qlight's, keep their prefix);
 * anything else carries its catalog or fallback code (errorReport).
 */
export function callFailure(err: unknown): {
  code: string;
  grpcCode: number | null;
  message: string;
  fix?: string | undefined;
  details?: Readonly<Record<string, unknown>> | undefined;
} {
  const status = isRpcError(err)
    ? err
    : typeof (err as { code?: unknown } | null)?.code === 'number'
      ? toRpcError(err)
      : undefined;
  const cause = (err as { cause?: unknown } | null)?.cause;
  const inner = status ?? (isRpcError(cause) ? cause : undefined);
  const report = errorReport(status ?? err);
  const message = status?.message ?? report.message;
  if (inner !== undefined) return { code: inner.codeName, grpcCode: inner.code, message };
  return { code: report.code, grpcCode: null, message, fix: report.fix, details: report.details };
}

function callError(io: Io, iface: string, method: string, err: unknown): number {
  const error = callFailure(err);
  if (io.json) printResult(io, { ok: false, interface: iface, method, error }, '');
  else io.stderr.write(`qplugin call: ${iface}.${method}: ${error.message}\n`);
  return ExitCode.failed;
}

function show(result: unknown): string {
  if (typeof result === 'string') return result;
  if (result === undefined || result === null) return 'ok (no result)';
  return stringifyJson(result, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) ?? '';
}

export const call: Command = {
  name: 'call',
  usage:
    "qplugin call <interface> <method> ['[json params]'] --plugins file://settings.json [--plugins.skipverify | --plugins.localverify [--plugins.publickey URI]] [--identity NAME]",
  options: {
    ...PLUGIN_FLAGS,
    timeout: { type: 'string', value: 'MS', description: 'deadline of the method call', default: '30000' },
    reattach: {
      type: 'string',
      value: 'JSON',
      description:
        'call a running plugin (PluginClient.reattachConfig() of a client with AutoMTLS off, or go-plugin\'s {"Protocol","ProtocolVersion","Pid","Addr":{"Network","String"}} as in TF_REATTACH_PROVIDERS) instead; no Init',
    },
    verbosity: {
      type: 'string',
      value: 'LEVEL',
      description: 'manager and plugin logs on stderr',
      default: 'warn',
    },
  },
  details: `Methods (names are case-insensitive; params are a JSON array, bytes as 0x-hex):\n${describeMethods()}\n\nExit codes: 0 the call returned, 1 failed (start, verification, Init or the call; gRPC errors as\n"rpc error: code = … desc = …"), 2 usage error (unknown interface or method, bad params).`,
  async run({ values, positionals }, io) {
    const [ifaceArg, methodArg, paramsText, ...extra] = positionals;
    if (!ifaceArg || !methodArg)
      throw new UsageError('give an interface and a method, e.g. helloworld greeting');
    if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
    const iface = ifaceArg.toLowerCase() as InterfaceName;
    if (!INTERFACE_NAMES.includes(iface))
      throw new UsageError(
        `unknown interface ${JSON.stringify(ifaceArg)}; one of ${INTERFACE_NAMES.join(', ')}`,
      );
    const spec = findMethod(iface, methodArg);
    if (!spec)
      throw new UsageError(
        `${iface} has no method ${JSON.stringify(methodArg)}; one of ${METHODS[iface].map((m) => m.name).join(', ')}`,
      );
    const level = str(values.verbosity) ?? 'warn';
    if (!LEVELS.includes(level)) throw new UsageError(`--verbosity must be one of ${LEVELS.join(', ')}`);
    const timeout = Number(str(values.timeout) ?? '30000');
    if (!Number.isInteger(timeout) || timeout <= 0)
      throw new UsageError('--timeout must be a positive integer');
    let args: unknown[];
    try {
      args = decodeParams(parseParams(paramsText), spec.params, spec.required);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`params: ${messageOf(err)}`);
    }
    // Checked before anything starts: a typo should not cost a plugin start.
    args = spec.prepare ? spec.prepare(args) : args;

    const logger = cliLogger(io, level as LogLevel | 'off');
    const callOptions = (): CallOptions => ({ deadline: timeout });
    const outcome = await withPlugin(iface, values, logger, async (d) => {
      try {
        return { ok: true as const, result: await spec.run(d, args, callOptions) };
      } catch (err) {
        return { ok: false as const, err };
      }
    });
    if (!outcome.ok) return callError(io, iface, spec.name, outcome.err);
    const result = outcome.result ?? null;
    printResult(io, { ok: true, interface: iface, method: spec.name, result }, show(result));
    return ExitCode.ok;
  },
};
