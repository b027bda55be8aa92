/**
 * Minimal JWT issuing: HS256 with node:crypto when a secret is configured,
 * otherwise an unsecured token (`alg: none`, empty signature part), which is
 * enough for a host that only reads `exp`.
 */
import { createHmac, randomUUID } from 'node:crypto';

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

export interface Claims {
  sub: string;
  psi: string;
  iat: number;
  exp: number;
}

export function issueJwt(claims: Claims, secret?: string): string {
  const header = b64url(JSON.stringify({ alg: secret ? 'HS256' : 'none', typ: 'JWT' }));
  const payload = b64url(JSON.stringify({ iss: 'qplugin-qlight-example', jti: randomUUID(), ...claims }));
  const signature = secret
    ? createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url')
    : '';
  return `${header}.${payload}.${signature}`;
}
