/**
 * What the manager tells an observer (e.g. the Prometheus metrics of
 * `@qplugin/quorum/observe`): each provider's supervisor as it is created,
 * every gRPC call to a plugin, and how obtaining each distribution went.
 * Plain callbacks: the manager itself depends on no metrics library.
 */
import type { CallEvent, PluginSupervisor } from '@qplugin/go-plugin/host';

import type { InterfaceName } from '../settings/types.js';

/** Which provider an event is about. */
export interface ProviderRef {
  provider: InterfaceName;
  /** The plugin's distribution name and version from the settings. */
  plugin: string;
  version: string;
}

export interface ObtainedDistribution {
  source: 'local' | 'downloaded';
  /** Bytes downloaded from Plugin Central for this start (0 for a local zip). */
  bytesDownloaded: number;
  /** The signature was checked and accepted (false with --plugins.skipverify). */
  verified: boolean;
}

export interface ManagerObserver {
  /** A provider's supervisor, when the provider starts (it lives until the provider stops). */
  supervising?(ref: ProviderRef, supervisor: PluginSupervisor): void;
  /** Every gRPC call to a provider's plugin, when it ends. Called on the call's path: keep it cheap. */
  call?(ref: ProviderRef, event: CallEvent): void;
  /** A distribution was located or downloaded, verified and unpacked for a (re)start. */
  obtained?(ref: ProviderRef, result: ObtainedDistribution): void;
  /** Obtaining a distribution failed; `code` is the error's stable code (e.g. `VERIFY_SIGNATURE`). */
  obtainFailed?(ref: ProviderRef, code: string): void;
}
