/**
 * After the handshake: one gRPC channel per plugin, shared by every service
 * client; health check of "plugin"; GRPCStdio forwarding; broker stream.
 * Plugins built with go-plugin v1.0.x lack GRPCStdio: tolerated.
 */
import { GRPCBroker } from '../protocol/broker.js';
import type { BrokerTransport } from '../protocol/broker.js';
import { GRPCBrokerService, GRPCStdio, Health, ServingStatus, StdioChannel } from '../protocol/builtins.js';
import { HEALTH_SERVICE_NAME } from '../protocol/env.js';
import { GoPluginError, isGoPluginError } from '../protocol/errors.js';
import type { Channel } from '../protocol/grpc/channel.js';
import type { Logger } from '../protocol/logger.js';
import { createClient } from '../protocol/rpc-client.js';
import { isRpcError, Status, toRpcError } from '../protocol/rpc-error.js';
import type { Sink } from './stderr.js';

export interface ConnectInput {
  channel: Channel;
  /** Absolute time by which the health check must answer. */
  deadline: number;
  logger: Logger;
  stdout?: Sink;
  stderr?: Sink;
  brokerTransport: BrokerTransport;
  /** Aborted when the plugin exits or is killed. */
  lifetime: AbortSignal;
}

export interface Connection {
  readonly channel: Channel;
  readonly broker: GRPCBroker;
  /** Resolves when the stdio stream has ended (all forwarded output written). */
  readonly stdioDone: Promise<void>;
  /** `peerGone`: the plugin's process has exited, so nothing more is written to it. */
  close(peerGone?: boolean): void;
}

async function checkHealth(channel: Channel, deadline: number, logger: Logger): Promise<void> {
  try {
    const res = await createClient(Health, channel).check(
      { service: HEALTH_SERVICE_NAME },
      { deadline: new Date(deadline) },
    );
    if (res.status !== ServingStatus.SERVING) {
      throw new GoPluginError('HEALTH_NOT_SERVING', `plugin health status is ${ServingStatus[res.status]}`, {
        fix: 'The plugin must report grpc.health.v1 status SERVING for the service "plugin".',
        details: { status: ServingStatus[res.status] },
      });
    }
  } catch (err) {
    if (isGoPluginError(err)) throw err;
    const rpc = toRpcError(err);
    if (rpc.code === Status.UNIMPLEMENTED) {
      // Go hosts never check; a plugin without health still works, but say so.
      logger.warn(
        'plugin does not implement grpc.health.v1.Health; go-plugin requires it for non-Go plugins',
      );
      return;
    }
    throw new GoPluginError('CONNECT_FAILED', `error connecting to the plugin: ${rpc.message}`, {
      fix: 'The plugin announced an address it does not serve on, or TLS failed: check its certificate (SAN DNS:localhost) and that it trusts PLUGIN_CLIENT_CERT.',
      details: { code: rpc.codeName },
      cause: err,
    });
  }
}

async function forwardStdio(channel: Channel, input: ConnectInput): Promise<void> {
  try {
    for await (const data of createClient(GRPCStdio, channel).streamStdio({}, { signal: input.lifetime })) {
      const sink =
        data.channel === StdioChannel.STDOUT
          ? input.stdout
          : data.channel === StdioChannel.STDERR
            ? input.stderr
            : undefined;
      if (data.channel !== StdioChannel.STDOUT && data.channel !== StdioChannel.STDERR) {
        input.logger.warn('unknown channel, dropping', { channel: data.channel });
      }
      sink?.write(data.data);
    }
  } catch (err) {
    const rpc = isRpcError(err) ? err : toRpcError(err);
    if (rpc.code === Status.UNIMPLEMENTED) {
      input.logger.warn('stdio service not available, stdout/stderr syncing unavailable', {
        error: rpc.message,
      });
    } else {
      // The plugin went away or we stopped reading: the normal end of the stream (go-plugin logs it at debug).
      input.logger.debug('received EOF, stopping recv loop', { error: rpc.message });
    }
  }
}

async function runBroker(channel: Channel, broker: GRPCBroker, input: ConnectInput): Promise<void> {
  const call = createClient(GRPCBrokerService, channel).startStream({ signal: input.lifetime });
  broker.attach((info) => call.send(info as never));
  try {
    for await (const info of call.responses) broker.receive(info);
  } catch (err) {
    // Like go-plugin: a plugin without a broker just has none.
    input.logger.trace('broker stream ended', { error: toRpcError(err).message });
  }
}

export async function connect(input: ConnectInput): Promise<Connection> {
  const { channel } = input;
  try {
    await checkHealth(channel, input.deadline, input.logger);
  } catch (err) {
    channel.close();
    throw err;
  }
  const broker = new GRPCBroker(input.brokerTransport, input.logger.named('broker'));
  const stdioDone = forwardStdio(channel, input);
  void runBroker(channel, broker, input);
  return {
    channel,
    broker,
    stdioDone,
    close: (peerGone) => {
      void broker.close();
      channel.close(peerGone);
    },
  };
}
