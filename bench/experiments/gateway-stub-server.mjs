// The JSON-RPC gateway alone, for gateway-load.mjs --stub: `plugin@helloworld_greeting` answered in
// process (params decoded as the real API does, no plugin, no gRPC), so only the gateway's own cost is
// measured. Argument: the quorum package directory whose dist/ to load (e.g. a copy of a build before a
// change). Prints {"url":…} and serves until SIGINT/SIGTERM.
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = resolve(process.argv[2] ?? 'packages/quorum');
const rpc = await import(pathToFileURL(join(dir, 'dist', 'src', 'rpc', 'index.js')).href);
const STRING = ['string'];
const gateway = new rpc.JsonRpcGateway({
  apis: [
    {
      namespace: 'plugin@helloworld',
      methods: {
        greeting: async (params) => {
          const [msg] = rpc.decodeParams(params, STRING);
          return `Hello ${msg ?? ''}!`;
        },
      },
    },
  ],
  enabled: ['plugin@helloworld'],
  port: 0,
});
const url = await gateway.start();
console.log(JSON.stringify({ url }));
for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, () => void gateway.stop().then(() => process.exit(0)));
