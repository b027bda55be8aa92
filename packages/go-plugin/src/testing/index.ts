/**
 * Helpers for testing plugins and hosts with real processes: is a pid alive,
 * which processes are left, wait for a condition; a manual clock for
 * supervisors.
 */
export { expectNoProcesses, isAlive, processesMatching, waitUntil } from './process.js';
export { ManualClock } from './manual-clock.js';
