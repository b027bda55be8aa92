/**
 * Host side of PluginInitializer, which every plugin serves: geth calls Init
 * once per start with the node identity and the raw config bytes (no
 * deadline), and a gRPC error fails the start.
 */
import { PluginInitializer } from '../generated/init_pb.js';
import { gatewayContext, sourceOf } from './source.js';
import type { ClientProvider, ClientSource, GatewayContext, GatewayOptions } from './source.js';

export class InitializerGateway {
  private readonly source: ClientSource<typeof PluginInitializer>;
  private readonly ctx: GatewayContext;

  constructor(provider: ClientProvider<typeof PluginInitializer>, options?: GatewayOptions) {
    this.source = sourceOf(PluginInitializer, provider);
    this.ctx = gatewayContext(options);
  }

  async init(hostIdentity: string, rawConfiguration: Uint8Array): Promise<void> {
    await this.source().init({ hostIdentity, rawConfiguration }, this.ctx.call());
  }
}
