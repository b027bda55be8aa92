/** The AccountService over a keystore: wire messages in, gRPC statuses out. */
import { service } from '@qplugin/go-plugin/plugin';
import type { ServiceRegistration } from '@qplugin/go-plugin/plugin';
import { AccountService } from '@qplugin/quorum/plugin';

import { parseNewAccountConfig, parseRawKey } from './config.js';
import type { Keystore, StoredAccount } from './keystore.js';

const wire = (a: StoredAccount): { address: Uint8Array; url: string } => ({ address: a.address, url: a.url });

export function accountService(store: Keystore): ServiceRegistration {
  return service(AccountService, {
    status: () => ({ status: store.status() }),
    // Nothing to open or release in memory; Open must not unlock anything.
    open: () => ({}),
    close: () => ({}),
    accounts: () => ({ accounts: store.list().map(wire) }),
    contains: (req) => ({ isContained: store.contains(req.address) }),
    sign: (req) => ({ sig: store.sign(req.address, req.toSign) }),
    unlockAndSign: (req) => ({ sig: store.unlockAndSign(req.address, req.toSign, req.passphrase) }),
    timedUnlock: (req) => {
      store.timedUnlock(req.address, req.password, req.duration);
      return {};
    },
    lock: (req) => {
      store.lock(req.address);
      return {};
    },
    newAccount: (req) => ({ account: wire(store.create(parseNewAccountConfig(req.newAccountConfig))) }),
    importRawKey: (req) => {
      const key = parseRawKey(req.rawKey);
      return { account: wire(store.import(key, parseNewAccountConfig(req.newAccountConfig))) };
    },
  });
}
