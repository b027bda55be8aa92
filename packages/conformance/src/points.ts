/**
 * How one point of a report is built: checks add findings (pass, warn or
 * fail), each citing the rule of docs/protocol.md it is about and, when it
 * did not pass, the fix; the point takes the worst status. A point that
 * could not be evaluated (an earlier failure prevents it) is skipped.
 */
import { rule } from './rules.js';

export type PointStatus = 'pass' | 'warn' | 'fail' | 'skip';
export type FindingStatus = Exclude<PointStatus, 'skip'>;

export interface Finding {
  status: FindingStatus;
  /** Rule id in docs/protocol.md (e.g. `HS-7`); absent for checks outside the protocol (Quorum's Init). */
  rule?: string;
  detail: string;
  /** What to change; only for warn and fail. */
  fix?: string;
}

/** One line of a report, and one element of `points` in the --json document. */
export interface PointResult {
  id: string;
  number: number;
  title: string;
  status: PointStatus;
  /** What was observed (for warn/fail: the problems, `; `-separated). */
  detail: string;
  /** What to change; empty when the point passed. */
  fix: string;
  /** Rules the findings cite, in order of first mention. */
  rules: string[];
  findings: Finding[];
}

const RANK: Record<FindingStatus, number> = { pass: 0, warn: 1, fail: 2 };

export class Point {
  readonly findings: Finding[] = [];
  private skipped: string | undefined;

  constructor(
    readonly id: string,
    readonly title: string,
  ) {}

  private add(status: FindingStatus, ruleId: string | undefined, detail: string, fix?: string): this {
    if (ruleId !== undefined) rule(ruleId); // an unknown id is a bug in the check
    this.findings.push({
      status,
      ...(ruleId !== undefined ? { rule: ruleId } : {}),
      detail,
      ...(fix !== undefined ? { fix } : {}),
    });
    return this;
  }

  pass(ruleId: string | undefined, detail: string): this {
    return this.add('pass', ruleId, detail);
  }

  warn(ruleId: string | undefined, detail: string, fix: string): this {
    return this.add('warn', ruleId, detail, fix);
  }

  fail(ruleId: string | undefined, detail: string, fix: string): this {
    return this.add('fail', ruleId, detail, fix);
  }

  /** The point could not be evaluated. */
  skip(reason: string): this {
    this.skipped = reason;
    return this;
  }

  get status(): PointStatus {
    if (this.skipped !== undefined && this.findings.length === 0) return 'skip';
    let worst: FindingStatus = 'pass';
    for (const f of this.findings) if (RANK[f.status] > RANK[worst]) worst = f.status;
    return worst;
  }

  result(number: number): PointResult {
    const status = this.status;
    const problems = this.findings.filter((f) => f.status !== 'pass');
    const shown = status === 'skip' ? [] : problems.length > 0 ? problems : this.findings;
    const fixes = [...new Set(problems.map((f) => f.fix ?? '').filter(Boolean))];
    const rules = [...new Set(this.findings.flatMap((f) => (f.rule ? [f.rule] : [])))];
    return {
      id: this.id,
      number,
      title: this.title,
      status,
      detail: status === 'skip' ? this.skipped! : shown.map((f) => f.detail).join('; '),
      fix: fixes.join(' '),
      rules,
      findings: [...this.findings],
    };
  }
}

/** Results numbered in report order. */
export const results = (points: readonly Point[]): PointResult[] => points.map((p, i) => p.result(i + 1));

/** Quotes untrusted text for a one-line report: JSON string syntax, cut at `max` characters. */
export function quote(text: string, max = 120): string {
  const cut = text.length > max ? text.slice(0, max) + '…' : text;
  return JSON.stringify(cut);
}
