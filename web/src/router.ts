// Routes live in the URL's fragment (#/systems/12, #/energy?scope=site&id=…): the API serves one page for the
// whole app, and a reload or a shared link shows the same view.
export type Route =
  | { page: "sign-in" }
  | { page: "fleet" }
  | { page: "system"; id: number }
  | { page: "energy"; query: URLSearchParams };

export function parseRoute(hash: string): Route {
  const [path = "", query = ""] = hash.replace(/^#/, "").split("?");
  const system = /^\/systems\/(\d+)$/.exec(path);
  if (system) return { page: "system", id: Number(system[1]) };
  if (path === "/energy") return { page: "energy", query: new URLSearchParams(query) };
  if (path === "/sign-in") return { page: "sign-in" };
  return { page: "fleet" };
}

export const go = (hash: string): void => {
  location.hash = hash;
};
