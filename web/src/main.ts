// The web app: sign-in, then the fleet, a system's live dashboard and energy, each a route in the URL's fragment.
// One page at a time: leaving it stops what it started (the live feed, timers, charts).
import "./styles.css";
import { api, onUnauthorized, problem } from "./api.ts";
import { h } from "./dom.ts";
import { energyPage } from "./pages/energy.ts";
import { fleetPage } from "./pages/fleet.ts";
import { signInPage } from "./pages/sign-in.ts";
import { systemPage } from "./pages/system.ts";
import { go, parseRoute, type Route } from "./router.ts";
import { forgetKey, storedKey } from "./session.ts";
import type { Session } from "./types.ts";

let session: Session | undefined;
let leave: (() => void) | undefined;
let firstRender = true;

const root = () => document.getElementById("app") as HTMLElement;

function shell(s: Session, route: Route): HTMLElement {
  const link = (href: string, text: string, current: boolean) =>
    h("a", { href, "aria-current": current ? "page" : undefined }, text);
  const signOut = h("button", { type: "button", class: "link" }, "Sign out");
  signOut.addEventListener("click", () => {
    forgetKey();
    session = undefined;
    go("#/sign-in");
  });
  const main = h("main", { id: "main", tabindex: -1 });
  const skip = h("a", { href: "#main", class: "skip" }, "Skip to content");
  // The fragment holds the route: the skip link moves focus without touching it.
  skip.addEventListener("click", (e) => {
    e.preventDefault();
    main.focus();
  });
  root().replaceChildren(
    skip,
    h(
      "header",
      { class: "top" },
      h("a", { href: "#/fleet", class: "brand" }, "Wattline"),
      h(
        "nav",
        { "aria-label": "Main" },
        link("#/fleet", "Fleet", route.page === "fleet"),
        link("#/energy", "Energy", route.page === "energy"),
      ),
      h("span", { class: "who" }, `${s.name} (${s.role})`),
      signOut,
    ),
    main,
  );
  return main;
}

async function render(): Promise<void> {
  leave?.();
  leave = undefined;
  const route = parseRoute(location.hash);
  const key = storedKey();
  if (key === null || route.page === "sign-in") {
    const main = h("main", { id: "main" });
    root().replaceChildren(main);
    signInPage(main, (s) => {
      session = s;
      if (route.page === "sign-in") go("#/fleet");
      else void render();
    });
    return;
  }
  if (session === undefined) {
    try {
      session = await api<Session>("/api/v1/session");
    } catch (err) {
      const retry = h("button", { type: "button" }, "Try again");
      retry.addEventListener("click", () => void render());
      root().replaceChildren(h("main", { id: "main" }, h("p", { role: "alert" }, problem(err)), retry));
      return;
    }
  }
  const main = shell(session, route);
  if (route.page === "system") leave = systemPage(main, route.id, key);
  else if (route.page === "energy") leave = energyPage(main, route.query);
  else leave = fleetPage(main, session.role);
  // After a navigation, focus goes to the new page's heading, where a screen reader starts reading.
  if (!firstRender) main.querySelector<HTMLElement>("h1")?.focus();
  firstRender = false;
}

onUnauthorized(() => {
  forgetKey();
  session = undefined;
  if (location.hash === "#/sign-in") void render();
  else go("#/sign-in");
});
window.addEventListener("hashchange", () => void render());
void render();
