/** A plugin's handshake line, read by hand (no host), for tests that inspect what it announces. */
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';

/** Starts a plugin (argv) with `env`, returns its first stdout line and kills it. */
export function firstLine(argv: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      child.kill('SIGKILL');
      resolve(out.slice(0, nl));
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (!out.includes('\n')) reject(new Error(`the plugin exited (${code}) before its handshake`));
    });
  });
}

/** The server certificate a handshake line announces (field 6, unpadded base64 DER). */
export function announcedCertificate(line: string): X509Certificate {
  const field = line.split('|')[5];
  if (!field) throw new Error(`no certificate in the handshake line: ${line}`);
  return new X509Certificate(Buffer.from(field, 'base64'));
}
