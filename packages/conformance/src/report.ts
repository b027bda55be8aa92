/**
 * A report for people: one line per point (✔/⚠/✖/- and the status), what was
 * seen with the rule each finding cites, and the fix for what did not pass;
 * colours on a TTY. `--json` output is the PointResult list itself.
 */
import type { PointResult, PointStatus } from './points.js';

const MARK: Record<PointStatus, string> = { pass: '✔', fail: '✖', warn: '⚠', skip: '-' };
const COLOUR: Record<PointStatus, string> = { pass: '32', fail: '31', warn: '33', skip: '90' };

export interface Summary {
  pass: number;
  warn: number;
  fail: number;
  skip: number;
}

export function summarize(points: readonly PointResult[]): Summary {
  const s: Summary = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const p of points) s[p.status]++;
  return s;
}

/** Wraps `text` at `max` columns; continuation lines are indented by `indent`. */
function wrap(text: string, max: number, indent: string): string {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > max) {
      out.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  out.push(line);
  return out.join('\n' + indent);
}

/** The detail with the rule of each shown finding, e.g. `padded base64 [HS-7]`. */
function citedDetail(p: PointResult): string {
  if (p.status === 'skip') return p.detail;
  const problems = p.findings.filter((f) => f.status !== 'pass');
  const shown = problems.length > 0 ? problems : p.findings;
  return shown.map((f) => (f.rule ? `${f.detail} [${f.rule}]` : f.detail)).join('; ');
}

export function formatReport(
  title: string,
  points: readonly PointResult[],
  tty: boolean,
  width = 100,
): string {
  const paint = (status: PointStatus, text: string): string =>
    tty ? `\x1b[${COLOUR[status]}m${text}\x1b[0m` : text;
  const idWidth = Math.max(...points.map((p) => p.id.length));
  const indent = ' '.repeat(idWidth + 12); // width of the head below
  const lines = [title, ''];
  for (const p of points) {
    const head = `${paint(p.status, `${MARK[p.status]} ${p.status.toUpperCase().padEnd(4)}`)} ${String(p.number).padStart(2)} ${p.id.padEnd(idWidth)}`;
    lines.push(`${head}  ${wrap(`${p.title}: ${citedDetail(p)}`, width - indent.length, indent)}`);
    if (p.fix && p.status !== 'pass')
      lines.push(`${indent}${wrap(`fix: ${p.fix}`, width - indent.length, indent)}`);
  }
  const s = summarize(points);
  const verdict = s.fail > 0 ? paint('fail', 'FAILED') : paint('pass', 'OK');
  lines.push('', `${verdict}: ${s.pass} passed, ${s.warn} warning(s), ${s.fail} failed, ${s.skip} skipped`);
  return lines.join('\n');
}
