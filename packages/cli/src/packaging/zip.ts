/**
 * Reproducible distribution zips: fixed entry order and timestamps, Unix
 * modes in the external attributes (so geth, which reads them, keeps the
 * entrypoint's exec bit), no extended-timestamp field (it would vary by
 * time zone).
 */

export interface ZipEntryInput {
  /** Path inside the zip, `/`-separated, relative. */
  name: string;
  data: Buffer;
  /** Executable entries get 0755, others 0644. */
  executable?: boolean;
}

/** 1980-01-01 00:00 in local time: the same DOS timestamp in every time zone. */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);

const S_IFREG = 0o100000;

export async function buildZip(entries: readonly ZipEntryInput[]): Promise<Buffer> {
  // Loaded on use: a host that only verifies and runs plugins never needs the zip writer.
  const { ZipFile } = await import('yazl');
  const zip = new ZipFile();
  for (const e of entries) {
    zip.addBuffer(e.data, e.name, {
      mtime: FIXED_MTIME,
      forceDosTimestamp: true,
      mode: S_IFREG | (e.executable ? 0o755 : 0o644),
      compress: true,
    });
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.once('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.once('error', reject);
  });
}
