/**
 * RPC security from the security plugin, as Quorum wires it: HTTPS with the
 * plugin's TLS material, and each request's bearer token authenticated by
 * the plugin and checked against every call (errors are code -32001).
 */
import type { AuthenticationManagerGateway } from '../interfaces/index.js';
import { checkAccess, MISSING_ACCESS_TOKEN, SecurityError } from '../interfaces/index.js';
import { ErrorCode, RpcMethodError } from './jsonrpc.js';
import type { AccessCheck, RpcAuth } from './server.js';

const refuse = (message: string): RpcMethodError => new RpcMethodError(ErrorCode.security, message);

export function tokenAuth(manager: AuthenticationManagerGateway, now: () => number = Date.now): RpcAuth {
  return {
    async authenticate(authorization): Promise<AccessCheck> {
      if (authorization === undefined || authorization === '') {
        return () => {
          throw refuse(MISSING_ACCESS_TOKEN);
        };
      }
      let token: Awaited<ReturnType<AuthenticationManagerGateway['authenticate']>>;
      try {
        token = await manager.authenticate(authorization);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        return () => {
          throw refuse(message);
        };
      }
      return (namespace, method) => {
        try {
          checkAccess(token, namespace, method, now());
        } catch (err) {
          if (err instanceof SecurityError) throw refuse(err.message);
          throw err;
        }
      };
    },
  };
}
