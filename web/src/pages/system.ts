// The system page (seed 002's dashboard): the live feed's MonitoringData, updated as readings arrive; the last 24
// hours as bars; the connection's state; and, when the feed is gone or silent, the figures kept but marked as
// old, with when the next attempt comes.
import { type BarChart, barChart } from "../chart.ts";
import { figure, h, row, scrollingTable } from "../dom.ts";
import * as fmt from "../format.ts";
import { type FeedState, LiveFeed } from "../live-feed.ts";
import type { Broadcast, FeedMessage, Snapshot } from "../types.ts";

const wsUrl = (path: string) => `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;

/** The figures shown, each one `dd[data-field]`, from the latest data. */
const FIGURES: [field: string, label: string, show: (s: Snapshot) => string][] = [
  ["current_generation_kw", "Generating now", (s) => fmt.kw(s.current_generation_kw)],
  ["today_generation_kwh", "Today", (s) => fmt.kwh(s.today_generation_kwh)],
  ["monthly_generation_kwh", "This month", (s) => fmt.kwh(s.monthly_generation_kwh)],
  ["total_generation_kwh", "Lifetime", (s) => fmt.kwh(s.total_generation_kwh)],
  ["today_savings", "Saved today", (s) => fmt.money(s.today_savings, s.currency)],
  ["monthly_savings", "Saved this month", (s) => fmt.money(s.monthly_savings, s.currency)],
  ["total_savings", "Saved in all", (s) => fmt.money(s.total_savings, s.currency)],
  ["co2_offset_kg", "CO₂ avoided", (s) => fmt.kg(s.co2_offset_kg)],
  [
    "trees_planted_equivalent",
    "Trees (a year each)",
    (s) => fmt.decimal(s.trees_planted_equivalent, s.trees_planted_equivalent < 10 ? 2 : 1),
  ],
  ["devices", "Devices online", (s) => `${fmt.count(s.devices.online)} / ${fmt.count(s.devices.total)}`],
];

const STATE_LABELS: Record<FeedState["kind"], string> = {
  connecting: "Connecting…",
  live: "Live",
  stale: "Stale",
  offline: "Offline",
};

/** What goes with the state: since when, and when the next attempt comes (not announced: it ticks). */
function stateDetail(state: FeedState, snapshot: Snapshot | undefined, now: number): string {
  const asOf = snapshot ? `Figures as of ${fmt.dateTime(snapshot.last_updated, snapshot.timezone)}.` : "";
  switch (state.kind) {
    case "connecting":
    case "live":
      return "";
    case "stale":
      return `No update since ${fmt.age(new Date(state.since).toISOString(), now)}. ${asOf}`;
    case "offline":
      return state.retryAt === null
        ? `Reconnecting now… ${asOf}`
        : `Reconnecting in ${Math.max(1, Math.ceil((state.retryAt - now) / 1000))} s. ${asOf}`;
  }
}

/** Sets text only when it changes, so that a live region announces changes, not ticks. */
function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

function broadcastText(b: Broadcast): string {
  return typeof b.message === "string" ? b.message : JSON.stringify(b.message);
}

export function systemPage(main: HTMLElement, systemId: number, key: string): () => void {
  let snapshot: Snapshot | undefined;
  let state: FeedState = { kind: "connecting" };
  const title = h("h1", { tabindex: -1 }, `System ${systemId}`);
  const subtitle = h("p", { class: "subtitle" }, "Waiting for the first figures…");
  const connection = h(
    "p",
    { class: "connection", role: "status", "data-state": "connecting" },
    "Connecting…",
  );
  const connectionDetail = h("p", { class: "connection-detail" });
  const notice = h("p", { class: "notice", role: "status", hidden: true });
  const values = new Map(FIGURES.map(([field]) => [field, h("dd", { "data-field": field }, "…")]));
  const figures = h(
    "dl",
    { class: "figures", "aria-busy": "true" },
    ...FIGURES.map(([field, label]) => figure(label, values.get(field) ?? h("dd"))),
  );
  const lastReading = h("p", { class: "last-reading", "data-field": "last_reading" });
  const chartCaption = h("h2", { id: "chart-title" }, "Last 24 hours");
  let chart: BarChart | undefined;
  const chartTable = h("tbody");
  const chartSlot = h("div", { class: "chart-slot" });
  const chartDetails = h(
    "details",
    {},
    h("summary", {}, "The last 24 hours as a table"),
    scrollingTable(
      "The last 24 hours",
      h("table", {}, h("thead", {}, row(["Hour (site time)", "Energy"], true)), chartTable),
    ),
  );
  const energyLink = h("a", { href: `#/energy?scope=system&id=${systemId}` }, "Energy by hour and day");
  main.replaceChildren(
    h("div", { class: "page-head" }, h("div", {}, title, subtitle), connection),
    connectionDetail,
    notice,
    figures,
    lastReading,
    h("section", { "aria-labelledby": "chart-title" }, chartCaption, chartSlot, chartDetails),
    h("p", {}, energyLink),
  );

  const render = () => {
    const now = Date.now();
    setText(connection, STATE_LABELS[state.kind]);
    setText(connectionDetail, stateDetail(state, snapshot, now));
    connection.dataset.state = state.kind;
    figures.classList.toggle("is-old", state.kind === "offline" || state.kind === "stale");
    if (snapshot === undefined) return;
    const s = snapshot;
    figures.setAttribute("aria-busy", "false");
    setText(title, s.name ?? `System ${s.system_id}`);
    setText(
      subtitle,
      `${s.site_id} · ${s.timezone} · devices: ${fmt.count(s.devices.online)} online, ${fmt.count(s.devices.offline)} offline, ${fmt.count(s.devices.unknown)} unknown`,
    );
    for (const [field, , show] of FIGURES) {
      const dd = values.get(field);
      if (dd) setText(dd, show(s));
    }
    const r = s.last_reading;
    setText(
      lastReading,
      r
        ? `Last reading: ${r.device_id}, ${fmt.dateTime(r.ts, s.timezone)} (${fmt.age(r.ts, now)})${r.power_w === null ? "" : `, ${fmt.kw(r.power_w / 1000)}`}`
        : "No reading yet.",
    );
  };

  const drawChart = (s: Snapshot) => {
    const bars = { labels: s.chart_data.labels, values: s.chart_data.values };
    chartCaption.textContent = `Last 24 hours (kWh per hour, ${s.timezone})`;
    if (chart === undefined) {
      chart = barChart(
        `Energy per hour over the last 24 hours, ${s.timezone}`,
        (v) => fmt.decimal(v, 2),
        bars,
      );
      chartSlot.replaceChildren(chart.element);
    } else chart.update(bars);
    chartTable.replaceChildren(...bars.labels.map((label, i) => row([label, fmt.kwh(bars.values[i] ?? 0)])));
  };

  const apply = (m: FeedMessage) => {
    if (m.type === "snapshot") {
      snapshot = m.data;
      drawChart(m.data);
    } else if (m.type === "update" && snapshot !== undefined) {
      const { readings: _readings, ...changed } = m.data;
      snapshot = { ...snapshot, ...changed };
    } else if (m.type === "broadcast") {
      notice.hidden = false;
      notice.textContent = `Message from ${m.data.sent_by}: ${broadcastText(m.data)}`;
    }
    render();
  };

  const feed = new LiveFeed(wsUrl(`/ws/monitoring/${systemId}`), key, {
    message: apply,
    state: (next) => {
      state = next;
      render();
    },
  });
  feed.start();
  // Ages and the retry countdown move on their own.
  const tick = setInterval(render, 1000);
  return () => {
    clearInterval(tick);
    feed.stop();
    chart?.destroy();
  };
}
