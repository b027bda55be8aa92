// node:tls options for a plugin's reattach config (PluginClient.reattachConfig()):
// the host's key pair, and trust in exactly the certificate the plugin announced.
export function derToPem(der) {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}

export function tlsOptionsOf(rc) {
  const der = Buffer.from(rc.tls.pluginCertDer);
  return {
    path: rc.addr.address,
    ca: derToPem(der),
    cert: rc.tls.hostCertPem,
    key: rc.tls.hostKeyPem,
    servername: 'localhost',
    checkServerIdentity: (_host, cert) =>
      cert.raw.equals(der) ? undefined : new Error('the plugin presented another certificate'),
  };
}
