/**
 * The qlight token manager plugin's configuration:
 *   { "refreshAnticipationInMillisecond": int32 ≥ 0 (required),
 *     "tokenPrefix"?: string (default "Bearer "),
 *     "lifetimeSeconds"?: number > 0 (default 300),
 *     "hmacSecret"?: string (sign HS256; unsigned tokens without it) }
 */
import { RpcError, Status } from '@qplugin/go-plugin/plugin';

export interface QLightConfig {
  refreshAnticipationInMillisecond: number;
  tokenPrefix: string;
  lifetimeSeconds: number;
  hmacSecret?: string;
}

const KEYS = ['refreshAnticipationInMillisecond', 'tokenPrefix', 'lifetimeSeconds', 'hmacSecret'];
const INT32_MAX = 2 ** 31 - 1;
const invalid = (message: string): RpcError => new RpcError(Status.INVALID_ARGUMENT, message);

export function parseConfig(raw: Uint8Array): QLightConfig {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw).toString('utf8') || '{}');
  } catch (err) {
    throw invalid(`invalid config: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid('config: must be a JSON object');
  const cfg = value as Record<string, unknown>;
  for (const key of Object.keys(cfg))
    if (!KEYS.includes(key))
      throw invalid(`config: unknown key ${JSON.stringify(key)} (known: ${KEYS.join(', ')})`);

  const anticipation = cfg.refreshAnticipationInMillisecond;
  if (
    typeof anticipation !== 'number' ||
    !Number.isInteger(anticipation) ||
    anticipation < 0 ||
    anticipation > INT32_MAX
  )
    throw invalid(`refreshAnticipationInMillisecond: required, an integer in 0..${INT32_MAX}`);
  const prefix = cfg.tokenPrefix ?? 'Bearer ';
  if (typeof prefix !== 'string') throw invalid('tokenPrefix: must be a string');
  const lifetime = cfg.lifetimeSeconds ?? 300;
  if (typeof lifetime !== 'number' || !Number.isFinite(lifetime) || lifetime <= 0)
    throw invalid('lifetimeSeconds: must be a number > 0');
  if (cfg.hmacSecret !== undefined && (typeof cfg.hmacSecret !== 'string' || cfg.hmacSecret === ''))
    throw invalid('hmacSecret: must be a non-empty string');
  return {
    refreshAnticipationInMillisecond: anticipation,
    tokenPrefix: prefix,
    lifetimeSeconds: lifetime,
    ...(cfg.hmacSecret !== undefined ? { hmacSecret: cfg.hmacSecret as string } : {}),
  };
}
