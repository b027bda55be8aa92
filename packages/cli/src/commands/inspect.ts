/** `qplugin inspect`: what is in a plugin zip and what would stop geth or qplugin from loading it. */
import { bool, UsageError } from '../args.js';
import { ExitCode } from '../command.js';
import type { Command } from '../command.js';
import { humanBytes, modeString } from '../format.js';
import { inspectZip } from '../inspect-report.js';
import type { Finding, InspectReport } from '../inspect-report.js';
import { printResult } from '../output.js';

function table(report: InspectReport): string {
  const cells = report.entries.map((e) => [
    e.unixMode === null ? '(no mode)' : modeString(e.unixMode),
    String(e.size),
    String(e.compressedSize),
    e.name + (e.executable ? '  *exec' : '') + (e.unsafe ? '  !unsafe' : ''),
  ]);
  const head = ['MODE', 'SIZE', 'PACKED', 'NAME'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string =>
    `  ${c[0]!.padEnd(widths[0]!)}  ${c[1]!.padStart(widths[1]!)}  ${c[2]!.padStart(widths[2]!)}  ${c[3]}`;
  return [line(head), ...cells.map(line)].join('\n');
}

function findingLines(title: string, mark: string, list: readonly Finding[]): string[] {
  if (list.length === 0) return [];
  return [
    `${title}:`,
    ...list.flatMap((f) => [`  ${mark} [${f.code}] ${f.message}`, ...(f.fix ? [`      fix: ${f.fix}`] : [])]),
  ];
}

function human(r: InspectReport, failed: boolean): string {
  const meta =
    r.meta === null
      ? ['plugin-meta.json: (none usable)']
      : [
          'plugin-meta.json:',
          ...JSON.stringify(r.meta, null, 4)
            .split('\n')
            .map((l) => `  ${l}`),
        ];
  const counts = `${r.errors.length} error${r.errors.length === 1 ? '' : 's'}, ${r.warnings.length} warning${r.warnings.length === 1 ? '' : 's'}`;
  const verdict = failed
    ? r.errors.length > 0
      ? `verdict: REJECTED (${counts}): geth or qplugin run would refuse this zip`
      : `verdict: REJECTED (${counts}, --strict)`
    : `verdict: OK (${counts})`;
  return [
    `${r.file}  ${r.bytes} bytes${r.bytes >= 1024 ? ` (${humanBytes(r.bytes)})` : ''}, sha256 ${r.sha256}`,
    '',
    `entries (${r.entries.length}):`,
    table(r),
    '',
    ...meta,
    '',
    ...findingLines('errors', 'x', r.errors),
    ...findingLines('warnings', '!', r.warnings),
    verdict,
  ].join('\n');
}

export const inspect: Command = {
  name: 'inspect',
  usage: 'qplugin inspect <zip> [--strict]',
  options: {
    strict: { type: 'boolean', description: 'treat warnings as errors (exit 3), e.g. in CI' },
  },
  details:
    'Errors: entries the unpacker refuses (absolute or .. paths, links, devices, duplicates, encryption,\n' +
    'bad sizes or CRC), plugin-meta.json missing or invalid (name, version, entrypoint, parameters),\n' +
    'entrypoint with bad characters or not in the zip. Warnings: entrypoint without the exec bit,\n' +
    'files in subdirectories, a file name that does not match <name>-<version>-<os>-<arch>.zip, and the\n' +
    'plain <name>-<version>.zip (geth will not find it).\n' +
    'Exit codes: 0 no errors (warnings allowed unless --strict), 3 errors found, 1 failed (zip unreadable),\n' +
    '2 usage error.',
  async run({ values, positionals }, io) {
    const [zip, ...extra] = positionals;
    if (!zip) throw new UsageError('the zip to inspect is required');
    if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
    const report = await inspectZip(zip);
    const failed = report.errors.length > 0 || (bool(values.strict) && report.warnings.length > 0);
    printResult(
      io,
      {
        ok: !failed,
        ...report,
        entries: report.entries.map((e) => ({
          ...e,
          unixMode: e.unixMode === null ? null : `0o${e.unixMode.toString(8)}`,
        })),
      },
      human(report, failed),
    );
    return failed ? ExitCode.rejected : ExitCode.ok;
  },
};
