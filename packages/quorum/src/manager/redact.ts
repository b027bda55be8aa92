/**
 * Config values kept out of texts shown to observers: a plugin's error often
 * repeats the config it was given (`invalid config: <raw>`), and configs hold
 * tokens and passwords. Every string in a provider's config (as written in
 * the settings, and as resolved from a file or environment variable) of
 * `MIN_SECRET_LENGTH` characters or more is replaced by `[redacted]`.
 */
export const MIN_SECRET_LENGTH = 4;
export const REDACTED = '[redacted]';

/** The strings of a config value: every string leaf, object keys left out. */
export function configStrings(value: unknown, out: Set<string> = new Set(), depth = 0): Set<string> {
  if (depth > 64) return out;
  if (typeof value === 'string') {
    if (value.length >= MIN_SECRET_LENGTH) out.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) configStrings(v, out, depth + 1);
  } else if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) configStrings(v, out, depth + 1);
  }
  return out;
}

/** The strings of resolved config bytes: its JSON leaves, or the whole text when it is not JSON. */
export function resolvedConfigStrings(bytes: Uint8Array | undefined, out: Set<string>): void {
  if (!bytes || bytes.length === 0) return;
  const text = Buffer.from(bytes).toString('utf8');
  try {
    configStrings(JSON.parse(text), out);
  } catch {
    if (text.trim().length >= MIN_SECRET_LENGTH) out.add(text.trim());
  }
  // A plugin may also quote the raw text whole.
  if (text.length >= MIN_SECRET_LENGTH) out.add(text);
}

/** `text` with every one of `secrets` replaced, longest first (so a secret inside another goes too). */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (out.includes(s)) out = out.split(s).join(REDACTED);
  }
  return out;
}
