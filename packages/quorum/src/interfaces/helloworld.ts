/**
 * Host side of the hello world interface: what geth's
 * ReloadablePluginHelloWorld does (plugin@helloworld_greeting).
 */
import { PluginGreeting } from '../generated/helloworld_pb.js';
import { gatewayContext, sourceOf } from './source.js';
import type { ClientProvider, ClientSource, GatewayContext, GatewayOptions } from './source.js';

export class HelloWorldGateway {
  private readonly source: ClientSource<typeof PluginGreeting>;
  private readonly ctx: GatewayContext;

  constructor(provider: ClientProvider<typeof PluginGreeting>, options?: GatewayOptions) {
    this.source = sourceOf(PluginGreeting, provider);
    this.ctx = gatewayContext(options);
  }

  /** Sends `msg` and returns the plugin's reply; gRPC errors are passed on as they are. */
  async greeting(msg: string): Promise<string> {
    const res = await this.source().greeting({ msg }, this.ctx.call());
    return res.msg;
  }
}
