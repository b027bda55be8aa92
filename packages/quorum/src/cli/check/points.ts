/**
 * The conformance points of `qplugin check` and how one point's result is
 * built: each check adds findings (pass, warn or fail, each with its fix);
 * the point takes the worst status and says what was found.
 */

export type PointStatus = 'pass' | 'warn' | 'fail' | 'skip';
type FindingStatus = Exclude<PointStatus, 'skip'>;

export const POINTS = [
  { id: 'cookie', title: 'refuses to run without the magic cookie' },
  { id: 'handshake', title: 'handshake line' },
  { id: 'certificate', title: 'server certificate' },
  { id: 'mtls', title: 'mutual TLS required' },
  { id: 'health', title: 'grpc.health.v1 "plugin" is SERVING' },
  { id: 'init', title: 'PluginInitializer.Init' },
  { id: 'stdio', title: 'GRPCStdio.StreamStdio' },
  { id: 'shutdown', title: 'GRPCController.Shutdown, exit within 2 s' },
  { id: 'orphans', title: 'no processes or socket left behind' },
  { id: 'stderr-log', title: 'stderr log format' },
] as const;

export type PointId = (typeof POINTS)[number]['id'];

/** One line of the report, and one element of `points` in the --json document. */
export interface PointResult {
  id: PointId;
  number: number;
  title: string;
  status: PointStatus;
  /** What was observed (for warn/fail: the problems, `; `-separated). */
  detail: string;
  /** What to change in the plugin; empty when the point passed. */
  fix: string;
}

interface Finding {
  status: FindingStatus;
  detail: string;
  fix?: string;
}

const RANK: Record<FindingStatus, number> = { pass: 0, warn: 1, fail: 2 };

/** Collects the findings of one point. */
export class Point {
  private readonly findings: Finding[] = [];
  private skipped: string | undefined;

  constructor(readonly id: PointId) {}

  pass(detail: string): this {
    this.findings.push({ status: 'pass', detail });
    return this;
  }

  warn(detail: string, fix: string): this {
    this.findings.push({ status: 'warn', detail, fix });
    return this;
  }

  fail(detail: string, fix: string): this {
    this.findings.push({ status: 'fail', detail, fix });
    return this;
  }

  /** The point could not be evaluated (an earlier one failed in a way that prevents it). */
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

  result(): PointResult {
    const index = POINTS.findIndex((p) => p.id === this.id);
    const status = this.status;
    const problems = this.findings.filter((f) => f.status !== 'pass');
    const shown = status === 'skip' ? [] : problems.length > 0 ? problems : this.findings;
    const fixes = [...new Set(problems.map((f) => f.fix ?? '').filter(Boolean))];
    return {
      id: this.id,
      number: index + 1,
      title: POINTS[index]!.title,
      status,
      detail: status === 'skip' ? this.skipped! : shown.map((f) => f.detail).join('; '),
      fix: fixes.join(' '),
    };
  }
}

/** Quotes untrusted text for a one-line report: JSON string syntax, cut at `max` characters. */
export function quote(text: string, max = 120): string {
  const cut = text.length > max ? text.slice(0, max) + '…' : text;
  return JSON.stringify(cut);
}
