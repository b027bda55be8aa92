/**
 * Quorum's point for `qplugin check`: proto_common.PluginInitializer/Init,
 * which geth calls right after loading every plugin and without which it
 * refuses to start. The config is plugin-specific, so a plugin that rejects
 * the default `{}` with InvalidArgument is doing its job.
 */
import { CALL_MS, Point, quote } from '@qplugin/conformance';
import type { ExtraPoint } from '@qplugin/conformance';
import { Status } from '@qplugin/go-plugin/protocol';
import { createClient, toRpcError } from '@qplugin/go-plugin/internal';
import type { Channel as GrpcChannel } from '@qplugin/go-plugin/internal';

import { PluginInitializer } from '@qplugin/quorum';

export interface InitConfig {
  bytes: Uint8Array;
  /** False when the default `{}` is used. */
  given: boolean;
}

const TITLE = 'PluginInitializer.Init';

export async function checkInit(conn: GrpcChannel, config: InitConfig): Promise<Point> {
  const point = new Point('init', TITLE);
  const what = config.given ? 'the given config' : 'the default config {}';
  try {
    await createClient(PluginInitializer, conn).init(
      { hostIdentity: '', rawConfiguration: config.bytes },
      { deadline: CALL_MS },
    );
    return point.pass(undefined, `Init with ${what}: OK`);
  } catch (err) {
    const rpc = toRpcError(err);
    const said = `${rpc.codeName} ${quote(rpc.details)}`;
    switch (rpc.code) {
      case Status.UNIMPLEMENTED:
        return point.fail(
          undefined,
          'proto_common.PluginInitializer/Init is not implemented: geth calls it on every plugin and refuses to start without it',
          'Implement proto_common.PluginInitializer (init.proto): parse rawConfiguration and return an empty response, or InvalidArgument for a bad config.',
        );
      case Status.UNAVAILABLE:
      case Status.DEADLINE_EXCEEDED:
      case Status.CANCELLED:
        return point.fail(
          undefined,
          `Init got no answer (${said})`,
          `Answer Init within geth's patience (this check waits ${CALL_MS / 1000} s); do slow set-up in the background.`,
        );
      case Status.INVALID_ARGUMENT:
        return config.given
          ? point.warn(
              undefined,
              `Init rejected the given config: ${said}`,
              'Fix the config (--config) or the plugin: geth fails to start with a config its plugin rejects.',
            )
          : point.pass(
              undefined,
              `Init with the default config {} answered ${said} (the config is plugin-specific; pass one with --config)`,
            );
      default:
        return point.warn(
          undefined,
          `Init with ${what} answered ${said}: geth would refuse to start with it`,
          'Return InvalidArgument for a config the plugin cannot use, and OK for a valid one; pass a valid config with --config.',
        );
    }
  }
}

/** The Init point as the conformance kit runs it. */
export const initPoint = (config: InitConfig): ExtraPoint => ({
  id: 'init',
  title: TITLE,
  run: (conn) => checkInit(conn, config),
});
