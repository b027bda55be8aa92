/**
 * Helpers for testing plugins and hosts with real processes: is a pid alive,
 * which processes are left, wait for a condition, a host in a child process;
 * a manual clock for supervisors; a seeded fuzzer; and the modules a fresh
 * process loads.
 */
export { expectNoProcesses, isAlive, processesMatching, waitUntil } from './process.js';
export { spawnHost } from './spawn-host.js';
export type { HostConfig, SpawnedHost } from './spawn-host.js';
export { ManualClock } from './manual-clock.js';
export {
  describeStats,
  fuzzCases,
  fuzzSeed,
  FuzzFailure,
  mutateBytes,
  mutateText,
  replayingOneCase,
  Rng,
  runFuzz,
} from './fuzz.js';
export type { FuzzStats, FuzzTarget } from './fuzz.js';
export { modulesLoadedBy } from './modules-loaded.js';
export type { ModulesLoadedOptions } from './modules-loaded.js';
