// What the web app's browser tests share: a small fleet with a ledger, an API instance (the app, its live feed
// and its socket) that can be stopped and started again on the same port, signing in, and screenshots into
// docs/screenshots.
import type { Server } from "node:http";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import type { Page } from "playwright-core";
import { type LiveMonitoring, startLiveMonitoring } from "../../../api/ws/server.ts";
import { createKafka } from "../../../ground/kafka.ts";
import { createLogger } from "../../../ground/logger.ts";
import { VIEWPORTS } from "../../support/browser.ts";
import { registerTestFleet } from "../../support/fleet.ts";
import { reading, rowCounts, seedLedger, waitForRows } from "../../support/ledger-seed.ts";
import { freePort } from "../../support/ports.ts";
import { config } from "../../support/stack.ts";
import type { Harness } from "../api/support.ts";

const logger = createLogger("test", "warn");

export const SCREENSHOTS = join(import.meta.dirname, "..", "..", "..", "docs", "screenshots");

export const ZONE = "Europe/Berlin";
/** The day Berlin's clocks go forward: 23 local hours. */
export const DST_DAY = "2025-03-30";

export interface WebFleet {
  siteId: string;
  systemId: number;
  inverter: string;
  meter: string;
}

/**
 * A five-device fleet in Berlin registered as `npm start` registers its fleet (one system), with a ledger: the
 * inverter made 2 kWh over the last two and a half hours and reported 1200 W two minutes ago; the meter counted
 * every hour of the DST day. Priced at 0.30 EUR/kWh.
 */
export async function seedWebFleet(h: Harness): Promise<WebFleet> {
  await registerTestFleet(h.pool, h.tag, { devices: 5, timezones: [ZONE] });
  const siteId = `${h.tag}-site-001`;
  const [inverter, meter] = [`${h.tag}-inv-0001`, `${h.tag}-mtr-0001`];
  const { rows } = await h.pool.query<{ id: number }>("SELECT id FROM systems WHERE site_id = $1", [siteId]);
  const systemId = Number(rows[0]?.id);
  const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
  const dstHours = Array.from({ length: 24 }, (_, i) =>
    reading(
      meter,
      new Date(Date.parse("2025-03-29T23:00:00Z") + i * 3_600_000).toISOString(),
      1000 + i * i * 10,
    ),
  );
  const seeded = await seedLedger(
    [
      {
        site_id: siteId,
        // The system's group rows take a device by its mirror row, as the ledger writes it from the registry.
        energy_system_id: systemId,
        kind: "inverter",
        settings: { device_id: inverter, timezone: ZONE },
        readings: [
          reading(inverter, ago(150), 0, 0),
          reading(inverter, ago(90), 600, 700),
          reading(inverter, ago(30), 1500, 1000),
          reading(inverter, ago(2), 2000, 1200),
        ],
      },
      {
        site_id: siteId,
        energy_system_id: systemId,
        kind: "meter",
        settings: { device_id: meter, timezone: ZONE },
        readings: dstHours,
      },
    ],
    [
      {
        cost_per_kwh: 0.3,
        currency: "EUR",
        effective_from: Date.UTC(2020, 0),
        scope: { kind: "site", site_id: siteId },
      },
    ],
  );
  await waitForRows(h.questdb, [inverter, meter], rowCounts(seeded, 2));
  return { siteId, systemId, inverter, meter };
}

/** One API process's parts in this process: stop() and start() again keep the address. */
export class ApiInstance {
  #live: LiveMonitoring | undefined;
  #server: Server | undefined;

  private constructor(
    private readonly h: Harness,
    readonly port: number,
  ) {}

  static async start(h: Harness): Promise<ApiInstance> {
    const api = new ApiInstance(h, await freePort());
    await api.start();
    return api;
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const live = startLiveMonitoring(
      { kafka: createKafka(config), config, postgres: this.h.pool, questdb: this.h.questdb, logger },
      { coalesceMs: 50 },
    );
    const app = this.h.makeApp({ monitoring: live.monitor, broadcasts: live.broadcasts });
    this.#live = live;
    this.#server = await new Promise<Server>((resolve) => {
      const s = serve(
        { fetch: app.fetch, port: this.port, hostname: "127.0.0.1", websocket: { server: live.wss } },
        () => resolve(s as Server),
      );
    });
    await live.ready;
  }

  /** As the API's shutdown does: live feed clients first, then the server. */
  async stop(): Promise<void> {
    const [live, server] = [this.#live, this.#server];
    this.#live = undefined;
    this.#server = undefined;
    await live?.stop();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

/** Both widths, as docs/screenshots/<name>-desktop.png and -phone.png. */
export async function screenshots(page: Page, name: string): Promise<void> {
  for (const [width, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size);
    // Charts follow their container's width on the next frame.
    await page.evaluate(
      () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
    );
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize(VIEWPORTS.desktop);
}

/** Signs in through the form, as a person does. */
export async function signIn(page: Page, key: string): Promise<void> {
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

// In the page as source text: tsx would wrap named functions in a helper (__name) that the page does not have.
const LOW_CONTRAST = `(() => {
  const rgb = (css) => (css.match(/[\\d.]+/g) ?? []).map(Number);
  const channel = (v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4);
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length < 4 || c[3] === 1) return c;
    }
    return [255, 255, 255];
  };
  const found = [];
  for (const el of document.querySelectorAll("body *")) {
    const text = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    if (!text || el.offsetParent === null || el.disabled) continue;
    const [a, b] = [luminance(rgb(getComputedStyle(el).color)), luminance(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) found.push(el.textContent.trim().slice(0, 40) + " (" + ratio.toFixed(2) + ")");
  }
  return found;
})()`;

/**
 * Text on the page whose contrast with its background is below WCAG AA's 4.5:1, as "text (ratio)". The background
 * is the nearest opaque one of the element or its ancestors (the page's white when none).
 */
export const lowContrast = (page: Page): Promise<string[]> => page.evaluate(LOW_CONTRAST);
