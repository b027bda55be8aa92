// Shared by experiments that talk to a plugin below PluginClient: starts the
// plugin with PluginClient (AutoMTLS, Init in English) and returns the client,
// its reattach config (address) and the TLS options to dial it with.
import { PluginClient } from '@qplugin/go-plugin/host';
import { mtlsClientOptions } from '@qplugin/go-plugin/internal';
import { PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';

export async function startWithTls(command, args = []) {
  const client = new PluginClient({ command, args, handshake: QUORUM_HANDSHAKE });
  await client.start();
  await client.client(PluginInitializer).init({ rawConfiguration: Buffer.from('{"language":"en"}') });
  const rc = client.reattachConfig();
  const tls = mtlsClientOptions(
    { pem: rc.tls.hostCertPem, privateKeyPem: rc.tls.hostKeyPem },
    rc.tls.pluginCertDer,
  );
  return { client, rc, tls };
}
