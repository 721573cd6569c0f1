// Energy per hour or per local day of a site, system, inverter array or device over a range of local dates in its
// zone (a DST day has 23 or 25 hours), as bars, a table and a CSV of exactly those rows. The form's choices live
// in the URL, so a reload or a link shows the same.
import { api, problem } from "../api.ts";
import { type BarChart, barChart } from "../chart.ts";
import { download, toCsv } from "../csv.ts";
import { figure, h, row, scrollingTable } from "../dom.ts";
import { choiceFrom, loadRegistry, rangeProblem, zoneOf } from "../energy/choice.ts";
import { energyForm } from "../energy/form.ts";
import { DAY_COLUMNS, HOUR_COLUMNS, shownRows, totalCost } from "../energy/rows.ts";
import * as fmt from "../format.ts";
import type { DayRow, EnergyAnswer, HourRow } from "../types.ts";
import { addDays, startOfDay } from "../zone.ts";

export function energyPage(main: HTMLElement, query: URLSearchParams): () => void {
  const status = h("p", { class: "sr-status", role: "status" }, "Loading…");
  const results = h("div", { class: "results" });
  main.replaceChildren(h("h1", { tabindex: -1 }, "Energy"), status, results);
  let chart: BarChart | undefined;
  let stopped = false;

  const show = async () => {
    const registry = await loadRegistry();
    if (stopped) return;
    const c = choiceFrom(query, registry);
    const zone = zoneOf(c, registry);
    main.insertBefore(energyForm(c, registry), status);
    const wrong = rangeProblem(c, zone);
    if (wrong !== undefined || zone === undefined) {
      status.textContent = wrong ?? "";
      return;
    }
    const params = new URLSearchParams({
      scope: c.scope,
      id: c.id,
      from: new Date(startOfDay(c.from, zone)).toISOString(),
      to: new Date(startOfDay(addDays(c.to, 1), zone)).toISOString(),
    });
    const answer = await api<EnergyAnswer<HourRow | DayRow>>(`/api/v1/energy/${c.resolution}?${params}`);
    if (stopped) return;
    const shown = shownRows(c, answer.rows);
    const totalWh = shown.reduce((sum, r) => sum + r.wh, 0);
    const label = `${c.resolution === "hourly" ? "Hourly" : "Daily"} energy, ${c.from} to ${c.to}, ${answer.timezone}`;
    chart?.destroy();
    chart = barChart(label, (v) => fmt.decimal(v, 2), {
      labels: shown.map((r) => r.label),
      values: shown.map((r) => r.wh / 1000),
    });
    const columns = c.resolution === "hourly" ? HOUR_COLUMNS : DAY_COLUMNS;
    const csvButton = h("button", { type: "button" }, "Download CSV");
    csvButton.addEventListener("click", () =>
      download(
        `wattline-${c.scope}-${c.id}-${c.resolution}-${c.from}-${c.to}.csv`,
        toCsv(
          columns,
          shown.map((r) => r.csv),
        ),
      ),
    );
    results.replaceChildren(
      h("h2", {}, label),
      h(
        "dl",
        { class: "figures" },
        figure(
          "Energy",
          h("dd", { "data-field": "energy_total", "data-wh": totalWh }, fmt.kwh(totalWh / 1000)),
        ),
        figure("Cost", h("dd", { "data-field": "cost_total" }, totalCost(answer.rows))),
        figure(
          c.resolution === "hourly" ? "Hours" : "Days",
          h("dd", { "data-field": "bars" }, fmt.count(shown.length)),
        ),
      ),
      chart.element,
      h("p", {}, csvButton),
      scrollingTable(
        label,
        h(
          "table",
          { class: "energy-rows" },
          h(
            "thead",
            {},
            row(
              [
                c.resolution === "hourly" ? "Hour (local)" : "Date",
                "Energy",
                "Cost",
                "Confidence",
                "Devices",
              ],
              true,
            ),
          ),
          h("tbody", {}, ...shown.map((r) => row(r.cells))),
        ),
      ),
    );
    status.textContent = shown.length === 0 ? "No energy recorded in this range." : "";
  };
  show().catch((err: unknown) => {
    if (!stopped) status.textContent = problem(err);
  });
  return () => {
    stopped = true;
    chart?.destroy();
  };
}
