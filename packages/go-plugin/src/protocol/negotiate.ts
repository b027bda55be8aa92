/**
 * App protocol version negotiation, plugin side, as go-plugin does it: the
 * highest version both sides have wins; with nothing in common the plugin
 * still serves its lowest version and lets the host report the mismatch.
 */
import { goAtoi, goQuote } from './gostrconv.js';

export interface Negotiation<T> {
  version: number;
  set: T;
  /** False when the host offered none of our versions (we serve the lowest). */
  matched: boolean;
  /** go-plugin's stderr notes for unparsable items of PLUGIN_PROTOCOL_VERSIONS. */
  warnings: string[];
}

/** Parses PLUGIN_PROTOCOL_VERSIONS; bad items are skipped with go-plugin's note. */
export function parseOfferedVersions(value: string | undefined): { versions: number[]; warnings: string[] } {
  const versions: number[] = [];
  const warnings: string[] = [];
  if (!value) return { versions, warnings };
  for (const item of value.split(',')) {
    try {
      versions.push(goAtoi(item));
    } catch {
      warnings.push(`server sent invalid plugin version ${goQuote(item)}`);
    }
  }
  return { versions, warnings };
}

/**
 * @param offered the host's PLUGIN_PROTOCOL_VERSIONS value
 * @param sets the plugin's service sets by version (at least one)
 */
export function negotiateVersion<T>(
  offered: string | undefined,
  sets: ReadonlyMap<number, T>,
): Negotiation<T> {
  if (sets.size === 0) throw new RangeError('negotiateVersion needs at least one versioned set');
  const { versions: client, warnings } = parseOfferedVersions(offered);
  const ours = [...sets.keys()].sort((a, b) => b - a);
  for (const version of ours) {
    if (client.includes(version)) return { version, set: sets.get(version)!, matched: true, warnings };
  }
  const lowest = ours[ours.length - 1]!;
  return { version: lowest, set: sets.get(lowest)!, matched: false, warnings };
}

/** The host side: versions to offer, as the PLUGIN_PROTOCOL_VERSIONS value. */
export function formatOfferedVersions(versions: Iterable<number>): string {
  return [...new Set(versions)].sort((a, b) => b - a).join(',');
}
