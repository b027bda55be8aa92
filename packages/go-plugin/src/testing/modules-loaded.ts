/**
 * What a fresh Node.js process has compiled after running some code: your
 * modules, your dependencies' and Node's own built-ins (`node:` URLs). For
 * tests that keep a start-up path lean, e.g. that a plugin's entry loads no
 * CLI, packer or HTTP code. The inspector's Debugger.enable reports every
 * script already parsed, CommonJS and ES modules alike.
 */
import { execFile } from 'node:child_process';

export interface ModulesLoadedOptions {
  /** Where the process runs: bare specifiers in `code` resolve from here (default: this process's cwd). */
  cwd?: string;
  /** Node options before the script, e.g. `['--max-semi-space-size=4']`. */
  execArgv?: readonly string[];
}

/**
 * Runs `code` as the body of an ES module in a fresh `node` (this process's
 * executable), then returns the `file:` and `node:` URLs of every module
 * compiled by then. The listing is the child's stdout, so `code` must not
 * write there. Rejects with the child's stderr when `code` throws, and with
 * the output when it is not a listing.
 */
export function modulesLoadedBy(code: string, options: ModulesLoadedOptions = {}): Promise<string[]> {
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
  const args = [...(options.execArgv ?? []), '--input-type=module', '-e', script];
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { cwd: options.cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`the probe process failed: ${stderr.trim() || err.message}`, { cause: err }));
          return;
        }
        try {
          resolve(JSON.parse(stdout) as string[]);
        } catch {
          reject(
            new Error(`the probe process printed something other than its listing: ${stdout.slice(0, 200)}`),
          );
        }
      },
    );
  });
}
