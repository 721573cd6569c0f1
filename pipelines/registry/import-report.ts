// What an import did, per row and per table, for people (text) and scripts (JSON).
import type { RegistryTable } from "./import-plan.ts";

export type Outcome = "created" | "changed" | "unchanged";

export interface ImportItem {
  table: RegistryTable;
  label: string;
  outcome: Outcome;
  /** Columns whose value the import changed (outcome "changed" only). */
  changed: string[];
}

export interface ImportReport {
  dryRun: boolean;
  items: ImportItem[];
}

export type Totals = Partial<Record<RegistryTable, Record<Outcome, number>>>;

export function totals(items: readonly ImportItem[]): Totals {
  const byTable: Totals = {};
  for (const item of items) {
    const counts = byTable[item.table] ?? { created: 0, changed: 0, unchanged: 0 };
    counts[item.outcome]++;
    byTable[item.table] = counts;
  }
  return byTable;
}

export function formatImportReport(report: ImportReport): string {
  const lines = [report.dryRun ? "dry run: nothing was written" : "imported"];
  lines.push(
    `${"table".padEnd(28)}${"created".padStart(8)}${"changed".padStart(9)}${"unchanged".padStart(11)}`,
  );
  for (const [table, c] of Object.entries(totals(report.items)))
    lines.push(
      `${table.padEnd(28)}${String(c.created).padStart(8)}${String(c.changed).padStart(9)}${String(c.unchanged).padStart(11)}`,
    );
  for (const item of report.items) {
    if (item.outcome === "created") lines.push(`created ${item.table} ${item.label}`);
    if (item.outcome === "changed")
      lines.push(`changed ${item.table} ${item.label}: ${item.changed.join(", ")}`);
  }
  const untouched = report.items.filter((i) => i.outcome === "unchanged").length;
  lines.push(`${untouched} of ${report.items.length} rows unchanged`);
  return `${lines.join("\n")}\n`;
}
