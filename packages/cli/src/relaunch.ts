/**
 * `qplugin run` is a host that lives as long as its plugins, and a busy Node
 * host's young generation grows to a large share of its memory unless Node
 * starts with a cap (S7's gateway at 64 connections, Node 24: peak RSS
 * 170–182 MB against 110–115 MB with the flags packed plugins get, at ~0.9×
 * the requests per second; bench/findings.md §33).
 * V8 reads those sizes only at start-up, so `run` starts Node again with them:
 * `process.execve` (Node ≥ 22.15 and 23.11) replaces this process, so the pid,
 * the open descriptors and the parent stay the same and no second process is
 * left waiting. Where it cannot (Node 20, Windows) or when the user already
 * chose a young-generation size (on the command line or in NODE_OPTIONS),
 * the process runs as it is.
 */
import { DEFAULT_NODE_FLAGS } from './packaging/default-node-flags.js';

/** Commands that run until stopped: worth a second Node start (+~50 ms to serving on Node 24) for their memory. */
const LONG_LIVED: ReadonlySet<string> = new Set(['run']);

/** Node options that set the young generation's size: whoever gave one has chosen. */
const YOUNG_GENERATION = /^--(?:(?:max|min)[-_]semi[-_]space[-_]size|semi[-_]space)/;

export interface ProcessFacts {
  /** process.argv: node, the script, then the command and its arguments. */
  argv: readonly string[];
  execArgv: readonly string[];
  execPath: string;
  nodeOptions: string | undefined;
  platform: NodeJS.Platform;
  /** process.execve exists (Node ≥ 22.15 / 23.11). */
  canReplace: boolean;
}

/** The argv to replace this process with, or undefined to run as it is. */
export function relaunchArgv(facts: ProcessFacts): string[] | undefined {
  const [, script, command, ...rest] = facts.argv;
  if (script === undefined || command === undefined || !LONG_LIVED.has(command)) return undefined;
  if (rest.includes('--help') || rest.includes('-h')) return undefined;
  if (!facts.canReplace || facts.platform === 'win32') return undefined;
  const chosen = [...facts.execArgv, ...(facts.nodeOptions ?? '').split(/\s+/)];
  if (chosen.some((option) => YOUNG_GENERATION.test(option))) return undefined;
  return [facts.execPath, ...DEFAULT_NODE_FLAGS, ...facts.execArgv, script, command, ...rest];
}

type Execve = (file: string, args: readonly string[], env: NodeJS.ProcessEnv) => never;

/** Replaces this process with one started with DEFAULT_NODE_FLAGS when relaunchArgv says so; returns otherwise. */
export function relaunchWithNodeFlags(): void {
  const execve = (process as unknown as { execve?: Execve }).execve;
  const argv = relaunchArgv({
    argv: process.argv,
    execArgv: process.execArgv,
    execPath: process.execPath,
    nodeOptions: process.env.NODE_OPTIONS,
    platform: process.platform,
    canReplace: typeof execve === 'function',
  });
  if (argv && execve) execve.call(process, argv[0]!, argv, process.env);
}
