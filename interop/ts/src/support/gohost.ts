/** Runs a Go host from interop/go against a plugin and returns its step report. */
import { spawn } from 'node:child_process';

export interface HostRun {
  steps: Record<string, unknown>[];
  /** The Go host's own log (hclog text) including the plugin's forwarded stderr. */
  log: string;
  code: number | null;
}

export interface HostOptions {
  plugin: string[];
  steps: string[];
  automtls?: boolean;
  mux?: boolean;
  sync?: boolean;
  identity?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export function runGoHost(hostBin: string, options: HostOptions): Promise<HostRun> {
  const args = [`-automtls=${options.automtls ?? true}`, '-steps', options.steps.join(';;')];
  if (options.mux) args.push('-mux');
  if (options.sync) args.push('-sync');
  if (options.identity !== undefined) args.push('-identity', options.identity);
  args.push('--', ...options.plugin);
  return new Promise((resolve, reject) => {
    // The host must not inherit a PLUGIN_* variable meant for someone else.
    const env = Object.fromEntries(
      Object.entries(options.env ?? process.env).filter(([k]) => !k.startsWith('PLUGIN_')),
    );
    const child = spawn(hostBin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let log = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Go host timed out; log:\n${log}\nstdout:\n${out}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const steps = out
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ steps, log, code });
    });
  });
}

/** The report of the one step named `name` (the n-th when repeated). */
export function step(run: HostRun, name: string, n = 0): Record<string, unknown> {
  const found = run.steps.filter((s) => s.step === name)[n];
  if (!found) throw new Error(`no step ${name}#${n} in ${JSON.stringify(run.steps)}\nlog:\n${run.log}`);
  return found;
}
