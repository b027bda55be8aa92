/**
 * Where a gRPC server listens, with go-plugin's rules: a unix socket by
 * default (TCP on Windows or on request), TCP only on 127.0.0.1 within
 * PLUGIN_MIN_PORT..PLUGIN_MAX_PORT. Bind first, then advertise the real
 * address. Sockets live in a private directory from the moment they exist.
 */
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { randomInt } from 'node:crypto';
import type { Server as NetServer } from 'node:net';

import { Env } from './env.js';
import { GoPluginError, messageOf } from './errors.js';
import { goParseInt, goQuote } from './gostrconv.js';
import type { Network } from './handshake.js';
import { removeTree } from './remove-tree.js';

/** sockaddr_un holds 108 bytes on Linux, 104 on macOS, both including the NUL. */
const MAX_SOCKET_PATH = process.platform === 'darwin' ? 103 : 107;

export interface ListenerConfig {
  network: Network;
  /** Directory for unix sockets; a private subdirectory is made in it unless `useDirAsIs`. */
  socketDir: string;
  /** The host gave us this directory (PLUGIN_UNIX_SOCKET_DIR): put sockets straight in it. */
  useDirAsIs: boolean;
  /** Group name or gid: sockets become 0660 and owned by it. */
  socketGroup?: string;
  minPort: number;
  maxPort: number;
}

function portFromEnv(env: NodeJS.ProcessEnv, name: string): number {
  const raw = env[name] ?? '';
  if (raw === '') return 0;
  try {
    return goParseInt(raw, 32);
  } catch (err) {
    throw new GoPluginError('LISTEN_PORT_RANGE', `couldn't get value from ${name}: ${messageOf(err)}`, {
      fix: `${name} must be a decimal port number.`,
      details: { variable: name, value: raw },
    });
  }
}

/** Reads the listener settings a host passes in the environment. */
export function listenerConfigFromEnv(env: NodeJS.ProcessEnv, network?: Network): ListenerConfig {
  const dir = env[Env.unixSocketDir] ?? '';
  const group = env[Env.unixSocketGroup] ?? '';
  const chosen: Network = network ?? (process.platform === 'win32' ? 'tcp' : 'unix');
  let minPort = 0;
  let maxPort = 0;
  if (chosen === 'tcp') {
    minPort = portFromEnv(env, Env.minPort);
    maxPort = portFromEnv(env, Env.maxPort);
    if (minPort > maxPort) {
      throw new GoPluginError(
        'LISTEN_PORT_RANGE',
        `PLUGIN_MIN_PORT value of ${minPort} is greater than PLUGIN_MAX_PORT value of ${maxPort}`,
        {
          fix: 'Give the host a port range whose minimum is not above its maximum.',
          details: { minPort, maxPort },
        },
      );
    }
  }
  return {
    network: chosen,
    socketDir: dir || tmpdir(),
    useDirAsIs: dir !== '',
    socketGroup: group || undefined,
    minPort,
    maxPort,
  };
}

/** Resolves a group name or numeric gid, reading /etc/group as Go's pure resolver does. */
export function lookupGid(group: string): number {
  if (/^[0-9]+$/.test(group)) return Number(group);
  let entries: string[] = [];
  try {
    entries = readFileSync('/etc/group', 'utf8').split('\n');
  } catch {
    // no group database: fall through to "unknown group"
  }
  for (const line of entries) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined) {
      if (!/^[0-9]+$/.test(gid)) {
        throw new GoPluginError(
          'LISTEN_SOCKET_GROUP',
          `failed to parse ${goQuote(group)} group's gid as an integer: strconv.Atoi: parsing ${goQuote(gid)}: invalid syntax`,
          {
            fix: 'Fix the group entry in /etc/group or pass a numeric gid.',
          },
        );
      }
      return Number(gid);
    }
  }
  throw new GoPluginError(
    'LISTEN_SOCKET_GROUP',
    `failed to find gid from ${goQuote(group)}: group: unknown group ${group}`,
    {
      fix: 'PLUGIN_UNIX_SOCKET_GROUP must name an existing group or be a numeric gid.',
      details: { group },
    },
  );
}

/** Prefix of the private directory our plugins make for their socket (mkdtemp adds 6 characters). */
const PRIVATE_DIR_PREFIX = 'qp-';

/**
 * Removes a plugin's socket left behind (the plugin was killed before it could
 * clean up), and the private directory our SDK made for it if that is now
 * empty. Never removes anything else: rmdir only succeeds on empty directories.
 */
export function removeStaleSocket(path: string): void {
  rmSync(path, { force: true });
  const dir = dirname(path);
  if (new RegExp(`^${PRIVATE_DIR_PREFIX}[A-Za-z0-9]{6}$`).test(basename(dir))) {
    try {
      rmdirSync(dir);
    } catch {
      // not empty, or already gone: leave it
    }
  }
}

export interface BoundListener {
  network: Network;
  /** What goes into the handshake / ConnInfo. */
  address: string;
  /** Removes the socket file and our private directory (idempotent, synchronous). */
  cleanup(): void;
}

/** Binds one concrete address; resolves with the bound port (0 for unix sockets). */
type Binder = (address: { path: string } | { host: string; port: number }) => Promise<number>;

function netBinder(server: NetServer): Binder {
  return (address) =>
    new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      const done = (): void => {
        server.off('error', onError);
        const bound = server.address();
        resolve(typeof bound === 'object' && bound ? bound.port : 0);
      };
      if ('path' in address) server.listen(address.path, done);
      else server.listen(address.port, address.host, done);
    });
}

function applyGroup(path: string, gid: number | undefined, mode: number): void {
  if (gid !== undefined) chownSync(path, -1, gid);
  chmodSync(path, mode);
}

async function bindUnix(bind: Binder, config: ListenerConfig): Promise<BoundListener> {
  const gid = config.socketGroup !== undefined ? lookupGid(config.socketGroup) : undefined;
  let privateDir: string | undefined;
  let dir = config.socketDir;
  if (!config.useDirAsIs) {
    privateDir = mkdtempSync(join(config.socketDir, PRIVATE_DIR_PREFIX));
    applyGroup(privateDir, gid, gid === undefined ? 0o700 : 0o770);
    dir = privateDir;
  }
  const cleanupDir = (): void => {
    if (privateDir) removeTree(privateDir);
  };
  for (let attempt = 0; ; attempt++) {
    // Same naming as go-plugin: "plugin" and random digits.
    const path = join(dir, `plugin${randomInt(0, 2 ** 32 - 1)}`);
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
      cleanupDir();
      throw new GoPluginError(
        'LISTEN_FAILED',
        `unix socket path ${path} is ${Buffer.byteLength(path)} bytes, over the limit of ${MAX_SOCKET_PATH}`,
        {
          fix: 'Use a shorter socket directory: set PLUGIN_UNIX_SOCKET_DIR (host) or TMPDIR to a short path such as /tmp.',
          details: { path },
        },
      );
    }
    try {
      await bind({ path });
    } catch (err) {
      if (attempt < 100 && /EADDRINUSE/.test(String(err))) continue;
      cleanupDir();
      throw new GoPluginError('LISTEN_FAILED', `listen unix ${path}: ${messageOf(err)}`, {
        fix: 'Check that the socket directory exists and is writable.',
        details: { path },
        cause: err,
      });
    }
    try {
      applyGroup(path, gid, gid === undefined ? 0o600 : 0o660);
    } catch (err) {
      cleanupDir();
      throw new GoPluginError('LISTEN_SOCKET_GROUP', `setting group/mode of ${path}: ${messageOf(err)}`, {
        fix: 'The plugin must be a member of PLUGIN_UNIX_SOCKET_GROUP to hand the socket to it.',
        cause: err,
      });
    }
    return {
      network: 'unix',
      address: path,
      cleanup: () => {
        rmSync(path, { force: true });
        cleanupDir();
      },
    };
  }
}

async function bindTcp(bind: Binder, config: ListenerConfig): Promise<BoundListener> {
  for (let port = config.minPort; port <= config.maxPort; port++) {
    try {
      const bound = await bind({ host: '127.0.0.1', port });
      return { network: 'tcp', address: `127.0.0.1:${bound}`, cleanup: () => {} };
    } catch {
      // taken: try the next one, like go-plugin
    }
  }
  throw new GoPluginError('LISTEN_PORT_RANGE', "couldn't bind plugin TCP listener", {
    fix: `No free port on 127.0.0.1 in ${config.minPort}..${config.maxPort}; widen PLUGIN_MIN_PORT/PLUGIN_MAX_PORT in the host.`,
    details: { minPort: config.minPort, maxPort: config.maxPort },
  });
}

function bindWith(bind: Binder, config: ListenerConfig): Promise<BoundListener> {
  return config.network === 'unix' ? bindUnix(bind, config) : bindTcp(bind, config);
}

/**
 * Binds a server per `config` and returns the address to advertise: the
 * gRPC server's HTTP/2 server, or a plain one when multiplexing takes raw
 * connections.
 */
export function bindNetServer(server: NetServer, config: ListenerConfig): Promise<BoundListener> {
  return bindWith(netBinder(server), config);
}
