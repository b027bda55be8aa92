/**
 * Gateways for helloworld and PluginInitializer (geth's gateway_test cases),
 * and the "dispense on every call" rule that lets a reload swap the client.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import type { DescService } from '@bufbuild/protobuf';
import type { Client } from '@qplugin/go-plugin/protocol';

import { PluginHelloWorld_ResponseSchema, PluginGreeting } from '../src/generated/helloworld_pb.js';
import { PluginInitialization_ResponseSchema } from '../src/generated/init_pb.js';
import type { PluginInitializer } from '../src/generated/init_pb.js';
import { HelloWorldGateway, InitializerGateway } from '../src/interfaces/index.js';

const greeter = (prefix: string, seen: string[]): Client<typeof PluginGreeting> => ({
  greeting: async (req) => {
    seen.push(req.msg ?? '');
    return create(PluginHelloWorld_ResponseSchema, { msg: `${prefix} ${req.msg ?? ''}` });
  },
});

describe('HelloWorldGateway', () => {
  it('sends msg and returns the reply', async () => {
    const seen: string[] = [];
    const gw = new HelloWorldGateway(() => greeter('Hello', seen));
    assert.equal(await gw.greeting('arbitrary msg'), 'Hello arbitrary msg');
    assert.deepEqual(seen, ['arbitrary msg']);
  });

  it('dispenses on every call, so a reloaded plugin is used at once', async () => {
    let current = greeter('old', []);
    const gw = new HelloWorldGateway(() => current);
    assert.equal(await gw.greeting('x'), 'old x');
    current = greeter('new', []);
    assert.equal(await gw.greeting('x'), 'new x');
  });

  it('accepts anything with client(svc), such as a PluginClient', async () => {
    const dispenser = {
      client: <S extends DescService>(svc: S): Client<S> => {
        assert.equal(svc, PluginGreeting);
        return greeter('Hi', []) as unknown as Client<S>;
      },
    };
    assert.equal(await new HelloWorldGateway(dispenser).greeting('there'), 'Hi there');
  });
});

describe('InitializerGateway', () => {
  it('sends hostIdentity and rawConfiguration', async () => {
    const seen: unknown[] = [];
    const client: Client<typeof PluginInitializer> = {
      init: async (req) => {
        seen.push({
          hostIdentity: req.hostIdentity,
          raw: Buffer.from(req.rawConfiguration ?? []).toString(),
        });
        return create(PluginInitialization_ResponseSchema);
      },
    };
    await new InitializerGateway(() => client).init('arbitraryName', Buffer.from('arbitrary config'));
    assert.deepEqual(seen, [{ hostIdentity: 'arbitraryName', raw: 'arbitrary config' }]);
  });
});
