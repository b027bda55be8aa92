/**
 * What a fresh Node.js process has compiled after running some code: the
 * inspector's Debugger.enable reports every script already parsed, our
 * modules, dependencies and Node's own built-ins (`node:` URLs) alike.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = fileURLToPath(new URL('../../../', import.meta.url));

/** URLs (file: and node:) of every module compiled in a fresh process after `code` ran. */
export function modulesLoadedBy(code: string): string[] {
  const script = `
    import { Session } from 'node:inspector';
    ${code}
    const session = new Session();
    session.connect();
    const urls = [];
    session.on('Debugger.scriptParsed', (m) => urls.push(m.params.url));
    session.post('Debugger.enable');
    session.disconnect();
    process.stdout.write(JSON.stringify(urls.filter((u) => /^(file|node):/.test(u))));
  `;
  // cwd is the package, so its own name resolves through its exports (self-reference).
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: PACKAGE_DIR,
    encoding: 'utf8',
  });
  return JSON.parse(out) as string[];
}
