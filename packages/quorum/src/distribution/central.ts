/**
 * Plugin Central client: the distribution zip, its signature and the public
 * key, over HTTPS with pinning, proxy support, timeouts and size caps. The zip
 * goes to a temp file in baseDir that only `commit()` renames into place, so
 * an interrupted or rejected download never leaves a zip that a later start
 * would take as installed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

import type { Logger } from '@qplugin/go-plugin/core/internal';
import { silentLogger } from '@qplugin/go-plugin/core/internal';

import type { CentralConfig, PluginDefinition, Platform } from '../settings/types.js';
import { parsePins } from './fingerprint.js';
import type { DownloadProgress, HttpGetOptions } from './http-get.js';
import { httpGet } from './http-get.js';
import { distributionFileNames } from './lookup.js';
import type { ProxyEnv } from './proxy.js';
import type { TemplateRenderer } from './template.js';
import type { CentralURLs } from './urls.js';
import { centralURLs, parseBaseURL, resolveCentralURL } from './urls.js';

export interface DownloadOptions {
  /** TCP connect + proxy tunnel + TLS handshake. Default 30 s. */
  connectTimeoutMs?: number;
  /** Longest silence while waiting for or reading a response. Default 60 s. */
  idleTimeoutMs?: number;
  /** Cap on a distribution zip. Default 512 MiB. */
  maxDistributionBytes?: number;
  /** Cap on a signature or public key file. Default 1 MiB. */
  maxSmallFileBytes?: number;
  /** Same-origin redirects followed. Default 5. */
  maxRedirects?: number;
  /** Where HTTP(S)_PROXY / NO_PROXY are read. Default process.env. */
  env?: ProxyEnv;
  /** Extra trust roots (PEM) for central's certificate. */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
}

export const DOWNLOAD_DEFAULTS = {
  connectTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  maxDistributionBytes: 512 * 1024 * 1024,
  maxSmallFileBytes: 1024 * 1024,
  maxRedirects: 5,
} as const;

export interface CentralClientOptions extends DownloadOptions {
  platform: Platform;
  render?: TemplateRenderer;
  logger?: Logger;
}

export interface DownloadedDistribution {
  /** Where the zip will live after commit(): `<baseDir>/<name>-<version>-<os>-<arch>.zip`. */
  path: string;
  /** The complete download, still under its temp name (created by us, O_EXCL): unpack from it. */
  tempPath: string;
  /** SHA-256 (hex) of the bytes written to tempPath, hashed as they arrived. */
  checksum: string;
  size: number;
  url: string;
  /** Renames the temp file into place (call once the bytes are verified). */
  commit(): Promise<void>;
  /** Deletes the temp file. */
  discard(): Promise<void>;
}

export class CentralClient {
  private readonly logger: Logger;
  private readonly base: URL;
  private readonly pins: string[];
  private warnedInsecure = false;

  constructor(
    readonly config: CentralConfig,
    private readonly options: CentralClientOptions,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.base = parseBaseURL(config.baseURL);
    this.pins = parsePins(config.certFingerprint);
  }

  urls(definition: PluginDefinition): CentralURLs {
    return centralURLs(this.config, definition, this.options.platform, this.options.render);
  }

  private httpOptions(maxBytes: number, extra: Partial<HttpGetOptions> = {}): HttpGetOptions {
    const o = this.options;
    if (this.config.insecureSkipTLSVerify && !this.warnedInsecure) {
      this.warnedInsecure = true;
      this.logger.warn(
        'TLS CERTIFICATE VERIFICATION IS DISABLED for Plugin Central (central.insecureSkipTLSVerify); anyone on the network path can serve plugins unless certFingerprint pins the server',
        { baseURL: this.base.href, pinned: this.pins.length > 0 },
      );
    }
    return {
      connectTimeoutMs: o.connectTimeoutMs ?? DOWNLOAD_DEFAULTS.connectTimeoutMs,
      idleTimeoutMs: o.idleTimeoutMs ?? DOWNLOAD_DEFAULTS.idleTimeoutMs,
      maxRedirects: o.maxRedirects ?? DOWNLOAD_DEFAULTS.maxRedirects,
      maxBytes,
      pins: this.pins,
      insecureSkipTLSVerify: this.config.insecureSkipTLSVerify,
      env: o.env ?? process.env,
      origin: this.base,
      logger: this.logger,
      ...(o.ca !== undefined ? { ca: o.ca } : {}),
      ...(o.signal !== undefined ? { signal: o.signal } : {}),
      ...extra,
    };
  }

  private async fetchText(url: URL, what: string): Promise<string> {
    this.logger.debug(`downloading ${what}`, { url: url.href });
    const max = this.options.maxSmallFileBytes ?? DOWNLOAD_DEFAULTS.maxSmallFileBytes;
    const { body } = await httpGet(url, this.httpOptions(max));
    return body.toString('utf8');
  }

  /** The armored signature from pluginSigPathTemplate. */
  fetchSignature(definition: PluginDefinition): Promise<string> {
    return this.fetchText(this.urls(definition).signature, 'plugin signature');
  }

  /** The armored public key from publicKeyURI (resolved against baseURL). */
  fetchPublicKey(): Promise<string> {
    return this.fetchText(resolveCentralURL(this.base, this.config.publicKeyURI), 'public key');
  }

  /** Downloads the zip into `<baseDir>/.<final name>.<random>.partial`. */
  async downloadDistribution(definition: PluginDefinition, baseDir: string): Promise<DownloadedDistribution> {
    const url = this.urls(definition).distribution;
    const fileName = distributionFileNames(definition, this.options.platform).platform;
    const path = join(baseDir, fileName);
    const tempPath = join(baseDir, `.${fileName}.${randomBytes(6).toString('hex')}.partial`);
    this.logger.info('downloading plugin from Plugin Central', { url: url.href, to: path });
    const discard = (): Promise<void> => rm(tempPath, { force: true });
    const file = await open(tempPath, 'wx', 0o644);
    // Hashed while written: the zip is never held in memory.
    const hash = createHash('sha256');
    try {
      const max = this.options.maxDistributionBytes ?? DOWNLOAD_DEFAULTS.maxDistributionBytes;
      const { received } = await httpGet(
        url,
        this.httpOptions(max, {
          keepBody: false,
          onChunk: async (chunk) => {
            hash.update(chunk);
            await file.write(chunk);
          },
          ...(this.options.onProgress !== undefined ? { onProgress: this.options.onProgress } : {}),
        }),
      );
      await file.sync();
      await file.close();
      return {
        path,
        tempPath,
        checksum: hash.digest('hex'),
        size: received,
        url: url.href,
        commit: () => rename(tempPath, path),
        discard,
      };
    } catch (err) {
      await file.close().catch(() => undefined);
      await discard();
      throw err;
    }
  }
}
