// The fleet: every site with its systems, how many of their devices are online (the status processor's view),
// how long ago each system was last heard from, and the open review tickets, which operators can resolve here.
import { api, listAll, problem } from "../api.ts";
import { h, scrollingTable, stackedTable } from "../dom.ts";
import * as fmt from "../format.ts";
import { canOperate } from "../session.ts";
import type { Device, ReviewTicket, Role, Site, System } from "../types.ts";

const REFRESH_MS = 30_000;

interface Fleet {
  sites: Site[];
  systems: System[];
  devices: Device[];
  tickets: ReviewTicket[];
}

async function loadFleet(): Promise<Fleet> {
  const [sites, systems, devices, tickets] = await Promise.all([
    listAll<Site>("/api/v1/sites"),
    listAll<System>("/api/v1/systems"),
    listAll<Device>("/api/v1/devices"),
    listAll<ReviewTicket>("/api/v1/review-tickets", { status: "open" }),
  ]);
  return { sites, systems, devices, tickets };
}

const latest = (times: (string | null)[]): string | null =>
  times.reduce<string | null>((a, b) => (b !== null && (a === null || b > a) ? b : a), null);

function deviceSummary(devices: Device[]): HTMLElement {
  const n = (status: string) => devices.filter((d) => d.connectivity.status === status).length;
  return h(
    "span",
    { class: "counts" },
    h("span", { class: "pill online" }, `${fmt.count(n("online"))} online`),
    " ",
    h("span", { class: "pill offline" }, `${fmt.count(n("offline"))} offline`),
    " ",
    h("span", { class: "pill unknown" }, `${fmt.count(n("unknown"))} unknown`),
  );
}

function lastHeard(devices: Device[], timezone: string): HTMLElement {
  const at = latest(devices.map((d) => d.connectivity.last_seen));
  return h("time", at ? { datetime: at, title: fmt.dateTime(at, timezone) } : {}, fmt.age(at));
}

function siteSection(site: Site, fleet: Fleet): HTMLElement {
  const devices = fleet.devices.filter((d) => d.site_id === site.id);
  const systems = fleet.systems.filter((s) => s.site_id === site.id);
  const loose = devices.filter((d) => d.system_id === null);
  const rows = systems.map((s): (string | HTMLElement)[] => {
    const own = devices.filter((d) => d.system_id === s.id);
    const name = s.name ?? s.key;
    return [
      h("a", { href: `#/systems/${s.id}` }, name),
      deviceSummary(own),
      lastHeard(own, site.timezone),
      h("a", { href: `#/energy?scope=system&id=${s.id}`, "aria-label": `Energy of ${name}` }, "Energy"),
    ];
  });
  if (loose.length > 0)
    rows.push(["Devices without a system", deviceSummary(loose), lastHeard(loose, site.timezone), ""]);
  return h(
    "section",
    { class: "site" },
    h("h2", {}, site.name, h("span", { class: "muted" }, ` ${site.id} · ${site.timezone}`)),
    scrollingTable(
      `Systems of ${site.name}`,
      stackedTable(["System", "Devices", "Last reading", "Energy"], rows),
    ),
  );
}

function ticketDetails(t: ReviewTicket): string {
  const text = JSON.stringify(t.details);
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

function ticketSection(tickets: ReviewTicket[], role: Role, announce: (text: string) => void): HTMLElement {
  const operator = canOperate(role);
  const resolve = async (t: ReviewTicket, button: HTMLButtonElement) => {
    button.disabled = true;
    try {
      await api(`/api/v1/review-tickets/${t.id}/resolve`, { method: "POST", body: {} });
      button.closest("tr")?.remove();
      announce(`Ticket ${t.id} resolved.`);
    } catch (err) {
      button.disabled = false;
      announce(`Ticket ${t.id} was not resolved: ${problem(err)}`);
    }
  };
  const rows = tickets.map((t) => {
    const cells: (string | HTMLElement)[] = [
      String(t.id),
      t.kind,
      t.device_id ?? "—",
      fmt.age(t.created_at),
      ticketDetails(t),
    ];
    if (operator) {
      const button = h("button", { type: "button", "aria-label": `Resolve ticket ${t.id}` }, "Resolve");
      button.addEventListener("click", () => void resolve(t, button));
      cells.push(button);
    }
    return cells;
  });
  const head = ["Ticket", "Kind", "Device", "Opened", "Details", ...(operator ? ["Action"] : [])];
  return h(
    "section",
    { "aria-labelledby": "tickets-title" },
    h("h2", { id: "tickets-title" }, `Open review tickets (${fmt.count(tickets.length)})`),
    tickets.length === 0
      ? h("p", {}, "No open tickets.")
      : scrollingTable("Open review tickets", stackedTable(head, rows)),
  );
}

export function fleetPage(main: HTMLElement, role: Role): () => void {
  const status = h("p", { class: "sr-status", role: "status" });
  const content = h("div", { "aria-busy": "true" }, h("p", {}, "Loading the fleet…"));
  const refresh = h("button", { type: "button" }, "Refresh");
  main.replaceChildren(
    h("div", { class: "page-head" }, h("h1", { tabindex: -1 }, "Fleet"), refresh),
    status,
    content,
  );
  const announce = (text: string) => {
    status.textContent = text;
  };
  let stopped = false;
  const load = async () => {
    try {
      const fleet = await loadFleet();
      if (stopped) return;
      const online = fleet.devices.filter((d) => d.connectivity.status === "online").length;
      content.replaceChildren(
        h(
          "p",
          { class: "summary" },
          `Sites: ${fmt.count(fleet.sites.length)} · systems: ${fmt.count(fleet.systems.length)} · devices: ${fmt.count(fleet.devices.length)}, ${fmt.count(online)} online`,
        ),
        ...fleet.sites.map((site) => siteSection(site, fleet)),
        ticketSection(fleet.tickets, role, announce),
      );
      content.setAttribute("aria-busy", "false");
    } catch (err) {
      if (!stopped) announce(problem(err));
    }
  };
  refresh.addEventListener("click", () => void load());
  void load();
  const timer = setInterval(() => void load(), REFRESH_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
