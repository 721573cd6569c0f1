// The energy page's form: its choices go into the URL, which the page is drawn from.
import { h } from "../dom.ts";
import { go } from "../router.ts";
import { type Choice, options, type Registry } from "./choice.ts";

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

export function energyForm(c: Choice, r: Registry): HTMLFormElement {
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
