/**
 * Reattach configurations written as JSON by other tools, turned into a
 * {@link ReattachConfig}. go-plugin has no JSON form of its own (its
 * ReattachConfig holds a net.Addr and a func); the one in use is Terraform's:
 * a provider in debug mode prints, and Terraform reads, TF_REATTACH_PROVIDERS
 * = `{"<provider address>": {"Protocol", "ProtocolVersion", "Pid", "Test",
 * "Addr": {"Network", "String"}}}`. One entry of that map is also what a Go
 * program gets by encoding the ReattachConfig of go-plugin's test mode field
 * by field. Keys match case-insensitively, as Go's encoding/json reads them.
 */
import { GoPluginError, messageOf } from '../protocol/errors.js';
import type { Network } from '../protocol/handshake.js';
import type { ReattachConfig } from './options.js';

/** The variable Terraform reads reattach configurations from. */
export const TF_REATTACH_PROVIDERS = 'TF_REATTACH_PROVIDERS';

/** One reattach configuration as Terraform writes it. */
export interface ReattachJson {
  Protocol: string;
  ProtocolVersion: number;
  Pid: number;
  Test: boolean;
  Addr: { Network: string; String: string };
}

/** Longest JSON text accepted: a map of a few hundred providers is far below it. */
const MAX_JSON_CHARS = 1 << 20;
const NETWORKS: readonly Network[] = ['unix', 'tcp'];

const invalid = (where: string, problem: string, fix: string, value?: unknown): GoPluginError =>
  new GoPluginError('REATTACH_INVALID', `${where}: ${problem}`, {
    fix,
    // The value as given when it is short; hostile input is kept to its shortened form.
    details:
      value === undefined
        ? { field: where }
        : { field: where, value: show(value).length < 80 ? value : show(value) },
  });

/** Shows a value in an error message, cut short so hostile input cannot flood a log. */
function show(value: unknown): string {
  // JSON.stringify turns Infinity (what 1e400 parses to) into null.
  const text = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function parseJson(text: string, where: string): unknown {
  if (text.length > MAX_JSON_CHARS) {
    throw invalid(
      where,
      `${text.length} characters is more than the ${MAX_JSON_CHARS} accepted`,
      'Pass the reattach JSON the plugin printed, not another file.',
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw invalid(
      where,
      `not JSON (${messageOf(err)})`,
      'Copy the JSON exactly as the plugin printed it, without the surrounding quotes of a shell command.',
    );
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An object's field by Go's rules: case-insensitive; two spellings of one field are refused. */
function field(obj: Record<string, unknown>, name: string, where: string): unknown {
  const keys = Object.keys(obj).filter((k) => k.toLowerCase() === name.toLowerCase());
  if (keys.length > 1) {
    throw invalid(
      `${where}.${name}`,
      `given ${keys.length} times (${keys.map((k) => JSON.stringify(k)).join(', ')})`,
      `Keep one ${name} key.`,
    );
  }
  return keys.length === 1 ? obj[keys[0]!] : undefined;
}

function integer(value: unknown, where: string, what: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(where, `${show(value)} is not ${what}`, `Set ${where} to ${what} (0 when unknown).`, value);
  }
  return value;
}

function address(value: unknown, where: string): ReattachConfig['addr'] {
  if (!isObject(value)) {
    throw invalid(
      where,
      value === undefined ? 'missing' : `${show(value)} is not an object`,
      `Set ${where} to {"Network": "unix" | "tcp", "String": <socket path or host:port>}.`,
      value,
    );
  }
  const network = field(value, 'Network', where);
  if (!NETWORKS.includes(network as Network)) {
    throw invalid(
      `${where}.Network`,
      `${show(network)} is not a network to reattach over`,
      'Use "unix" (String is the socket path) or "tcp" (String is host:port).',
      network,
    );
  }
  const text = field(value, 'String', where);
  const at = `${where}.String`;
  if (typeof text !== 'string' || text === '' || text.includes('\0')) {
    throw invalid(
      at,
      `${show(text)} is not an address`,
      `Set ${at} to the address the plugin listens on.`,
      text,
    );
  }
  if (network === 'tcp') {
    const colon = text.lastIndexOf(':');
    const port = colon < 0 ? NaN : Number(text.slice(colon + 1));
    if (!(Number.isInteger(port) && port > 0 && port < 65536) || !/^\d+$/.test(text.slice(colon + 1))) {
      throw invalid(
        at,
        `${show(text)} is not host:port`,
        'Give a TCP address such as "127.0.0.1:10000".',
        text,
      );
    }
  }
  return { network: network as Network, address: text };
}

/**
 * One reattach configuration (an object, or its JSON text), e.g. one value of
 * TF_REATTACH_PROVIDERS. `where` names it in errors. Only gRPC plugins can be
 * reattached to: an empty Protocol means net/rpc to go-plugin and is refused.
 */
export function parseReattachConfig(input: unknown, where = 'reattach config'): ReattachConfig {
  return configFrom(typeof input === 'string' ? parseJson(input, where) : input, where);
}

function configFrom(value: unknown, where: string): ReattachConfig {
  if (!isObject(value)) {
    throw invalid(
      where,
      `${show(value)} is not an object`,
      'Expected {"Protocol": "grpc", "ProtocolVersion", "Pid", "Test", "Addr": {"Network", "String"}}.',
      value,
    );
  }
  const protocol = field(value, 'Protocol', where);
  if (protocol !== 'grpc') {
    const netrpc = protocol === undefined || protocol === '' || protocol === 'netrpc';
    throw invalid(
      `${where}.Protocol`,
      netrpc
        ? `${show(protocol ?? '')} means net/rpc, which qplugin does not speak`
        : `${show(protocol)} is unknown`,
      netrpc
        ? 'Only gRPC plugins can be reattached to; net/rpc plugins need a Go host.'
        : 'Set Protocol to "grpc".',
      protocol,
    );
  }
  const test = field(value, 'Test', where);
  if (test !== undefined && typeof test !== 'boolean') {
    throw invalid(`${where}.Test`, `${show(test)} is not true or false`, 'Set Test to true or false.', test);
  }
  return {
    protocol: 'grpc',
    protocolVersion: integer(
      field(value, 'ProtocolVersion', where),
      `${where}.ProtocolVersion`,
      'a version number',
    ),
    addr: address(field(value, 'Addr', where), `${where}.Addr`),
    pid: integer(field(value, 'Pid', where), `${where}.Pid`, 'a process id'),
    ...(test === true ? { test: true } : {}),
  };
}

/** Every entry of a TF_REATTACH_PROVIDERS value (object or JSON text), by provider address. */
export function parseReattachProviders(
  input: unknown,
  where = TF_REATTACH_PROVIDERS,
): Map<string, ReattachConfig> {
  const value = typeof input === 'string' ? parseJson(input, where) : input;
  if (!isObject(value)) {
    throw invalid(
      where,
      `${show(value)} is not an object of provider address to reattach config`,
      'Expected {"<provider address>": {"Protocol": "grpc", …}}, as a provider in debug mode prints it.',
      value,
    );
  }
  const providers = new Map<string, ReattachConfig>();
  for (const [name, config] of Object.entries(value)) {
    providers.set(name, configFrom(config, `${where}[${JSON.stringify(name)}]`));
  }
  return providers;
}

export interface ReattachFromEnvOptions {
  /** Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Default `TF_REATTACH_PROVIDERS`. */
  variable?: string;
}

/**
 * The reattach configuration of `provider` in TF_REATTACH_PROVIDERS (or
 * another variable of the same form); without `provider` the variable must
 * hold exactly one entry.
 */
export function reattachFromEnv(provider?: string, options: ReattachFromEnvOptions = {}): ReattachConfig {
  const variable = options.variable ?? TF_REATTACH_PROVIDERS;
  const text = (options.env ?? process.env)[variable];
  if (text === undefined || text.trim() === '') {
    throw invalid(
      variable,
      'not set',
      `Start the plugin in debug mode and set ${variable} to the JSON it prints.`,
    );
  }
  const providers = parseReattachProviders(text, variable);
  const names = [...providers.keys()];
  const listed = names.map((n) => JSON.stringify(n)).join(', ') || 'none';
  if (provider === undefined) {
    if (names.length !== 1) {
      throw invalid(
        variable,
        `holds ${names.length} providers (${listed}); which one is ambiguous`,
        'Name the provider address to reattach to.',
      );
    }
    return providers.get(names[0]!)!;
  }
  const config = providers.get(provider);
  if (!config) {
    throw invalid(
      variable,
      `has no provider ${JSON.stringify(provider)} (it has ${listed})`,
      'Name one of those.',
    );
  }
  return config;
}

/** The JSON form of a reattach configuration, as Terraform writes it (TLS material is never included). */
export function reattachToJson(config: ReattachConfig): ReattachJson {
  return {
    Protocol: config.protocol,
    ProtocolVersion: config.protocolVersion,
    Pid: config.pid,
    Test: config.test ?? false,
    Addr: { Network: config.addr.network, String: config.addr.address },
  };
}
