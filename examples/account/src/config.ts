/**
 * The account plugin's inputs: the Init configuration (no settings today, so
 * empty or `{}`), the per-account `newAccountConfig` JSON
 * (`{"passphrase": "..."}`), and hex private keys for ImportRawKey.
 */
import { RpcError, Status } from '@qplugin/go-plugin/plugin';

const invalid = (message: string): RpcError => new RpcError(Status.INVALID_ARGUMENT, message);

function parseObject(raw: Uint8Array, what: string): Record<string, unknown> {
  const text = Buffer.from(raw).toString('utf8').trim();
  if (text === '' || text === 'null') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalid(`${what}: invalid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(`${what}: must be a JSON object`);
  return value as Record<string, unknown>;
}

function onlyKeys(obj: Record<string, unknown>, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key))
      throw invalid(
        `${what}: unknown key ${JSON.stringify(key)}${allowed.length ? ` (known: ${allowed.join(', ')})` : ''}`,
      );
  }
}

/** Init: the plugin takes no settings; anything else is a mistake worth reporting. */
export function checkInitConfig(raw: Uint8Array): void {
  onlyKeys(parseObject(raw, 'config'), [], 'config');
}

/** The passphrase protecting a new account ("" when none is given). */
export function parseNewAccountConfig(raw: Uint8Array): string {
  const cfg = parseObject(raw, 'newAccountConfig');
  onlyKeys(cfg, ['passphrase'], 'newAccountConfig');
  if (cfg.passphrase === undefined) return '';
  if (typeof cfg.passphrase !== 'string') throw invalid('newAccountConfig.passphrase: must be a string');
  return cfg.passphrase;
}

/** 32 bytes from 64 hex digits (a 0x prefix is tolerated; geth sends none). */
export function parseRawKey(rawKey: string): Uint8Array {
  const hex = rawKey.startsWith('0x') || rawKey.startsWith('0X') ? rawKey.slice(2) : rawKey;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw invalid('rawKey: must be 64 hex digits (a 32-byte private key)');
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}
