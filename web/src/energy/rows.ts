// The API's energy rows as the page shows them: a bar's label, the table's cells and the CSV's values (the API's
// own columns and numbers), all from the same rows; and their totals.
import * as fmt from "../format.ts";
import type { DayRow, HourRow } from "../types.ts";
import type { Choice } from "./choice.ts";

/** One shown row: its label, and its cells as the table and the CSV give them. */
export interface Shown {
  label: string;
  wh: number;
  csv: (string | number | null)[];
  cells: string[];
}

export const HOUR_COLUMNS = [
  "hour_start",
  "local_time",
  "energy_wh",
  "cost",
  "currency",
  "confidence",
  "devices",
];
export const DAY_COLUMNS = [
  "date",
  "energy_wh",
  "cost",
  "currency",
  "resets",
  "hours",
  "confidence",
  "devices",
];

const hourLabel = (local: string) => `${local.slice(11, 16)} ${local.slice(19)}`;

export function shownRows(c: Choice, rows: (HourRow | DayRow)[]): Shown[] {
  return rows.map((r) => {
    const common = [
      fmt.kwh(r.energy_wh / 1000),
      fmt.money(r.cost, r.currency),
      r.confidence ?? "—",
      fmt.count(r.devices),
    ];
    if (c.resolution === "hourly") {
      const hr = r as HourRow;
      return {
        // The bar shows the clock time; the table adds the offset that tells a repeated DST hour apart.
        label: hr.local_time.slice(11, 16),
        wh: hr.energy_wh,
        cells: [`${hr.local_time.slice(0, 10)} ${hourLabel(hr.local_time)}`, ...common],
        csv: [hr.hour_start, hr.local_time, hr.energy_wh, hr.cost, hr.currency, hr.confidence, hr.devices],
      };
    }
    const d = r as DayRow;
    return {
      label: fmt.localDay(d.date),
      wh: d.energy_wh,
      cells: [d.date, ...common],
      csv: [d.date, d.energy_wh, d.cost, d.currency, d.resets, d.hours, d.confidence, d.devices],
    };
  });
}

/** The rows' cost in their one currency; "—" when a row is unpriced or they are priced in two currencies. */
export function totalCost(rows: readonly (HourRow | DayRow)[]): string {
  const currencies = new Set(rows.map((r) => (r.cost === null ? null : r.currency)));
  const [currency] = currencies;
  if (currencies.size !== 1 || currency === null || currency === undefined) return "—";
  return fmt.money(
    rows.reduce((sum, r) => sum + (r.cost ?? 0), 0),
    currency,
  );
}
