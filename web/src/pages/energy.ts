// Energy per hour or per local day of a site, system, inverter array or device over a range of local dates in its
// zone (a DST day has 23 or 25 hours), as bars, a table and a CSV of exactly those rows. The form's choices live
// in the URL, so a reload or a link shows the same.
import { api, listAll, problem } from "../api.ts";
import { type BarChart, barChart } from "../chart.ts";
import { download, toCsv } from "../csv.ts";
import { h, row, scrollingTable } from "../dom.ts";
import * as fmt from "../format.ts";
import { go } from "../router.ts";
import type { DayRow, Device, EnergyAnswer, HourRow, InverterArray, Site, System } from "../types.ts";
import { addDays, localDate, startOfDay } from "../zone.ts";

type Scope = "site" | "system" | "array" | "device";
type Resolution = "hourly" | "daily";
const MAX_DAYS: Record<Resolution, number> = { hourly: 31, daily: 366 };

interface Registry {
  sites: Site[];
  systems: System[];
  arrays: InverterArray[];
  devices: Device[];
}

interface Choice {
  scope: Scope;
  id: string;
  resolution: Resolution;
  from: string;
  to: string;
}

/** One shown row: its label, and its cells as the table and the CSV give them. */
interface Shown {
  label: string;
  wh: number;
  csv: (string | number | null)[];
  cells: string[];
}

const HOUR_COLUMNS = ["hour_start", "local_time", "energy_wh", "cost", "currency", "confidence", "devices"];
const DAY_COLUMNS = ["date", "energy_wh", "cost", "currency", "resets", "hours", "confidence", "devices"];

function options(scope: Scope, r: Registry): { value: string; label: string }[] {
  const systemName = (id: number) => {
    const s = r.systems.find((x) => x.id === id);
    return s ? `${s.name ?? s.key} (${s.site_id})` : String(id);
  };
  switch (scope) {
    case "site":
      return r.sites.map((s) => ({ value: s.id, label: `${s.name} (${s.id})` }));
    case "system":
      return r.systems.map((s) => ({ value: String(s.id), label: systemName(s.id) }));
    case "array":
      return r.arrays.map((a) => ({
        value: String(a.id),
        label: `${a.name ?? a.key} · ${systemName(a.system_id)}`,
      }));
    case "device":
      return r.devices.map((d) => ({ value: d.device_id, label: `${d.device_id} (${d.kind})` }));
  }
}

/** The zone the rows are counted in: the device's own, else the site's. */
function zoneOf(c: Choice, r: Registry): string | undefined {
  const siteZone = (id: string | undefined) => r.sites.find((s) => s.id === id)?.timezone;
  const systemSite = (id: number | undefined) => r.systems.find((s) => s.id === id)?.site_id;
  switch (c.scope) {
    case "site":
      return siteZone(c.id);
    case "system":
      return siteZone(systemSite(Number(c.id)));
    case "array":
      return siteZone(systemSite(r.arrays.find((a) => a.id === Number(c.id))?.system_id));
    case "device":
      return r.devices.find((d) => d.device_id === c.id)?.timezone;
  }
}

function choiceFrom(query: URLSearchParams, r: Registry): Choice {
  const scope =
    (["site", "system", "array", "device"] as const).find((s) => s === query.get("scope")) ?? "site";
  const resolution = query.get("resolution") === "hourly" ? "hourly" : "daily";
  const id = query.get("id") ?? options(scope, r)[0]?.value ?? "";
  const today = localDate(Date.now(), zoneOf({ scope, id, resolution, from: "", to: "" }, r) ?? "UTC");
  const from = query.get("from") ?? (resolution === "daily" ? addDays(today, -6) : today);
  return { scope, id, resolution, from, to: query.get("to") ?? today };
}

const hourLabel = (local: string) => `${local.slice(11, 16)} ${local.slice(19)}`;

function shownRows(c: Choice, rows: (HourRow | DayRow)[]): Shown[] {
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

function select(label: string, name: string, values: { value: string; label: string }[], selected: string) {
  const id = `energy-${name}`;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    h(
      "select",
      { id, name },
      ...values.map((v) => h("option", { value: v.value, selected: v.value === selected }, v.label)),
    ),
  );
}

function dateField(label: string, name: string, value: string) {
  const id = `energy-${name}`;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    h("input", { id, name, type: "date", value, required: true }),
  );
}

function form(c: Choice, r: Registry): HTMLFormElement {
  const scopes = [
    { value: "site", label: "Site" },
    { value: "system", label: "System" },
    { value: "array", label: "Inverter array" },
    { value: "device", label: "Device" },
  ];
  const resolutions = [
    { value: "daily", label: "Per day" },
    { value: "hourly", label: "Per hour" },
  ];
  const f = h(
    "form",
    { class: "energy-form", "aria-label": "Energy range" },
    select("Scope", "scope", scopes, c.scope),
    select("Of", "id", options(c.scope, r), c.id),
    select("Bars", "resolution", resolutions, c.resolution),
    dateField("From (local date)", "from", c.from),
    dateField("To (local date, included)", "to", c.to),
    h("div", { class: "field" }, h("button", { type: "submit" }, "Show")),
  );
  const toHash = (data: FormData) =>
    `#/energy?${new URLSearchParams(data as unknown as Record<string, string>)}`;
  f.addEventListener("submit", (e) => {
    e.preventDefault();
    go(toHash(new FormData(f)));
  });
  // Another scope lists other nodes: show the first of them.
  f.querySelector("select[name=scope]")?.addEventListener("change", () => {
    const data = new FormData(f);
    data.delete("id");
    go(toHash(data));
  });
  return f;
}

async function loadRegistry(): Promise<Registry> {
  const [sites, systems, arrays, devices] = await Promise.all([
    listAll<Site>("/api/v1/sites"),
    listAll<System>("/api/v1/systems"),
    listAll<InverterArray>("/api/v1/inverter-arrays"),
    listAll<Device>("/api/v1/devices"),
  ]);
  return { sites, systems, arrays, devices };
}

function rangeProblem(c: Choice, zone: string | undefined): string | undefined {
  if (zone === undefined) return "Choose a site, system, inverter array or device.";
  const days = (Date.parse(c.to) - Date.parse(c.from)) / 86_400_000 + 1;
  if (!(days >= 1)) return "The range ends before it starts.";
  if (days > MAX_DAYS[c.resolution])
    return `At most ${MAX_DAYS[c.resolution]} days ${c.resolution === "hourly" ? "per hour" : "per day"}.`;
  return undefined;
}

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
    main.insertBefore(form(c, registry), status);
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
    const costs = answer.rows.filter((r) => r.cost !== null);
    const currencies = new Set(costs.map((r) => r.currency));
    const [currency] = currencies;
    const totalCost =
      currencies.size === 1 && costs.length === answer.rows.length && currency
        ? fmt.money(
            costs.reduce((sum, r) => sum + (r.cost ?? 0), 0),
            currency,
          )
        : "—";
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
        h(
          "div",
          { class: "figure" },
          h("dt", {}, "Energy"),
          h("dd", { "data-field": "energy_total", "data-wh": totalWh }, fmt.kwh(totalWh / 1000)),
        ),
        h(
          "div",
          { class: "figure" },
          h("dt", {}, "Cost"),
          h("dd", { "data-field": "cost_total" }, totalCost),
        ),
        h(
          "div",
          { class: "figure" },
          h("dt", {}, c.resolution === "hourly" ? "Hours" : "Days"),
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
