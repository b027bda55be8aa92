/**
 * The rules of docs/protocol.md, by id. Every finding of both checks cites
 * one of them, so a report line leads to the paragraph that explains it; a
 * test keeps this list and the document in step.
 */

export type RuleLevel = 'MUST' | 'SHOULD' | 'MAY';
export type RuleRole = 'host' | 'plugin' | 'both';

export interface Rule {
  id: string;
  /** Who the rule binds. */
  role: RuleRole;
  level: RuleLevel;
  /** One line, as in the document's heading. */
  title: string;
}

const r = (id: string, role: RuleRole, level: RuleLevel, title: string): Rule => ({ id, role, level, title });

export const RULES: readonly Rule[] = [
  r('ENV-1', 'host', 'MUST', 'start the executable with stdout and stderr on pipes the host reads'),
  r('ENV-2', 'host', 'MUST', 'set the magic cookie variable'),
  r('ENV-3', 'host', 'MUST', 'offer app protocol versions in PLUGIN_PROTOCOL_VERSIONS'),
  r('ENV-4', 'host', 'SHOULD', 'set the TCP port range PLUGIN_MIN_PORT..PLUGIN_MAX_PORT'),
  r('ENV-5', 'host', 'MUST', 'PLUGIN_CLIENT_CERT carries the host certificate exactly when AutoMTLS is on'),
  r('ENV-6', 'host', 'MUST', 'PLUGIN_MULTIPLEX_GRPC only from a host that runs the multiplexed broker'),
  r('ENV-7', 'host', 'MAY', 'PLUGIN_UNIX_SOCKET_DIR and PLUGIN_UNIX_SOCKET_GROUP'),
  r('ENV-8', 'host', 'SHOULD', 'no inherited PLUGIN_* variables the host did not set'),
  r('CK-1', 'plugin', 'MUST', 'without the right cookie, do not serve'),
  r('CK-2', 'plugin', 'SHOULD', 'say why on stderr and exit with status 1'),
  r('VN-1', 'plugin', 'MUST', 'pick the highest common version, else serve the lowest'),
  r('VN-2', 'host', 'MUST', 'accept only a version it offered'),
  r('VN-3', 'plugin', 'MUST', 'serve the services of the version printed'),
  r('HS-1', 'both', 'MUST', 'the handshake is the first stdout line'),
  r('HS-2', 'plugin', 'MUST', 'six fields joined by a bare "|"'),
  r('HS-3', 'plugin', 'MUST', 'field 1, the core protocol version, is 1'),
  r('HS-4', 'plugin', 'MUST', 'field 2 is the negotiated app version'),
  r('HS-5', 'plugin', 'MUST', 'fields 3 and 4: unix and an absolute path, or tcp and 127.0.0.1:PORT'),
  r('HS-6', 'plugin', 'MUST', 'field 5 is grpc'),
  r('HS-7', 'plugin', 'MUST', 'field 6: the certificate in unpadded base64, exactly when the host sent one'),
  r('HS-8', 'plugin', 'MUST', 'field 7 only when the host asked for multiplexing'),
  r('HS-9', 'host', 'MUST', 'wait for the line within a start timeout and parse it as go-plugin does'),
  r('TLS-1', 'both', 'MUST', 'the AutoMTLS certificate profile'),
  r(
    'TLS-2',
    'both',
    'MUST',
    'certificate encodings: PEM in the environment, raw base64 DER in the handshake',
  ),
  r('TLS-3', 'plugin', 'MUST', 'serve TLS with the announced certificate and require the host certificate'),
  r('TLS-4', 'host', 'MUST', 'present the certificate it sent and accept only the announced one'),
  r('TLS-5', 'both', 'MUST', 'TLS 1.2 or later with ALPN h2'),
  r(
    'TLS-6',
    'both',
    'MUST',
    "accept signatures made with the peer's key (ecdsa_secp521r1_sha512 for go-plugin)",
  ),
  r('TLS-7', 'both', 'MUST', 'brokered connections use the same certificates'),
  r('LS-1', 'plugin', 'MUST', 'unix sockets in PLUGIN_UNIX_SOCKET_DIR or the temporary directory'),
  r('LS-2', 'plugin', 'MUST', 'PLUGIN_UNIX_SOCKET_GROUP: group-owned socket, mode 0660'),
  r('LS-3', 'plugin', 'MUST', 'TCP on 127.0.0.1 within the port range'),
  r('LS-4', 'plugin', 'MUST', 'accept connections before printing the handshake'),
  r('LS-5', 'both', 'SHOULD', 'remove socket files and directories when done'),
  r('SVC-1', 'plugin', 'MUST', 'grpc.health.v1.Health reports "plugin" SERVING'),
  r('SVC-2', 'plugin', 'MUST', 'plugin.GRPCController/Shutdown'),
  r('SVC-3', 'plugin', 'SHOULD', 'plugin.GRPCStdio/StreamStdio (go-plugin >= 1.1)'),
  r('SVC-4', 'plugin', 'SHOULD', 'plugin.GRPCBroker/StartStream'),
  r('SVC-5', 'host', 'MUST', 'open the broker and stdio streams, and cope when a plugin lacks them'),
  r('IO-1', 'host', 'MUST', 'keep reading stdout and stderr for the life of the plugin'),
  r('IO-2', 'plugin', 'SHOULD', 'after the handshake: output through GRPCStdio, logs on stderr'),
  r('LOG-1', 'plugin', 'SHOULD', 'log hclog JSON lines on stderr'),
  r('LOG-2', 'host', 'SHOULD', 'log each stderr line at the level it carries'),
  r('LC-1', 'host', 'MUST', 'stop a plugin with Shutdown, a grace period, then SIGKILL'),
  r('LC-2', 'plugin', 'MUST', 'on Shutdown, exit within 2 seconds'),
  r('LC-3', 'plugin', 'MUST', 'serve until asked to stop'),
  r('LC-4', 'plugin', 'SHOULD', 'ignore SIGINT; stop on SIGTERM'),
  r('LC-5', 'host', 'MUST', 'kill the plugin when its start fails'),
  r('LC-6', 'plugin', 'MUST', 'leave no processes behind'),
  r('LC-7', 'both', 'SHOULD', 'when the host goes, its plugins go'),
  r('BRK-1', 'both', 'MUST', 'brokered servers without multiplexing'),
  r('BRK-2', 'both', 'MUST', 'multiplexed brokering (go-plugin >= 1.6)'),
  r('RA-1', 'host', 'MUST', 'reattach without a handshake, and never kill on a failed probe'),
];

const BY_ID = new Map(RULES.map((rule) => [rule.id, rule]));

/** The rule with this id; throws for an unknown id (a typo in a check). */
export function rule(id: string): Rule {
  const found = BY_ID.get(id);
  if (!found) throw new Error(`unknown rule id ${id}`);
  return found;
}
