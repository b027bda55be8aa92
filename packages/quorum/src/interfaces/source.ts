/**
 * Where a gateway gets its typed client from. geth's Reloadable* wrappers
 * dispense the plugin's client on every call so that a reload (new process,
 * new connection) is picked up without rebuilding the gateway; a
 * {@link ClientSource} is that "dispense on every call" function.
 */
import type { DescService } from '@bufbuild/protobuf';
import type { CallOptions, Client, Logger } from '@qplugin/go-plugin/protocol';
import { silentLogger } from '@qplugin/go-plugin/protocol';

/** Returns the client to use for the next call (e.g. of the currently running plugin). */
export type ClientSource<S extends DescService> = () => Client<S>;

/** Anything that hands out typed clients, such as a `PluginClient`. */
export interface Dispenser {
  client<S extends DescService>(svc: S): Client<S>;
}

/** Either a dispenser (asked on every call) or a ready-made source function. */
export type ClientProvider<S extends DescService> = Dispenser | ClientSource<S>;

/** Normalises a provider into a source that dispenses `svc` on every call. */
export function sourceOf<S extends DescService>(svc: S, provider: ClientProvider<S>): ClientSource<S> {
  return typeof provider === 'function' ? provider : () => provider.client(svc);
}

export interface GatewayOptions {
  /** Where gateway decisions are logged (probes, swallowed errors). Default: silent. */
  logger?: Logger;
  /**
   * Per-call options (deadline, signal). geth calls with a background context,
   * i.e. without a deadline, which is also our default.
   */
  callOptions?: () => CallOptions;
}

/** The resolved options every gateway keeps. */
export interface GatewayContext {
  logger: Logger;
  call: () => CallOptions | undefined;
}

export function gatewayContext(options: GatewayOptions | undefined): GatewayContext {
  const callOptions = options?.callOptions;
  return {
    logger: options?.logger ?? silentLogger,
    call: () => callOptions?.(),
  };
}
