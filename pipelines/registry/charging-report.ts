// A reconcile report for people.
import type { ReconcileReport } from "./charging-reconcile.ts";

export function formatReconcileReport(report: ReconcileReport): string {
  const lines: string[] = [];
  for (const s of report.stations) {
    const head = `station ${s.external_id} (reported as ${s.reported_id}): ${s.count} connector(s), ${s.existing} point(s)`;
    if (s.add.length > 0)
      lines.push(`${head}: ${report.dry_run ? "would create" : "created"} point(s) ${s.add.join(", ")}`);
    else if (s.existing > s.count) lines.push(`${head}: more points than connectors, left alone`);
    else lines.push(`${head}: up to date`);
  }
  if (report.not_found.length > 0)
    lines.push(
      `stations not found (${report.not_found.length}):`,
      ...report.not_found.map((id) => `  ${id}`),
    );
  lines.push(
    report.dry_run
      ? `dry run: would create ${report.created} charging point(s); nothing was written`
      : `created ${report.created} charging point(s)`,
  );
  return `${lines.join("\n")}\n`;
}
