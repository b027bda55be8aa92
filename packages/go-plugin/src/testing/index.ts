/**
 * Helpers for testing plugins and hosts with real processes: is a pid alive,
 * which processes are left, wait for a condition; and a seeded fuzzer.
 */
export { expectNoProcesses, isAlive, processesMatching, waitUntil } from './process.js';
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
