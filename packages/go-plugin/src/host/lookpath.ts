/** exec.LookPath: a bare name is searched in PATH; anything with a slash is taken as given. */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

export function lookPath(
  command: string,
  cwd: string | undefined,
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (command.includes('/')) return isAbsolute(command) ? command : resolve(cwd ?? process.cwd(), command);
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      if (statSync(candidate).isFile()) {
        accessSync(candidate, constants.X_OK);
        return candidate;
      }
    } catch {
      // not here
    }
  }
  return undefined;
}
