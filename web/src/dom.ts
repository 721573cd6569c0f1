// Building elements from code. Text always goes in as text (never as HTML): names come from the registry and
// messages from broadcasts, and neither may inject markup.
type Child = Node | string | number | null | undefined | false;
type Attr = string | number | boolean | null | undefined | ((event: Event) => void);

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, Attr> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children)
    if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
}

/** A table that scrolls sideways on a narrow screen instead of widening the page; focusable to scroll by key. */
export function scrollingTable(label: string, table: HTMLTableElement): HTMLElement {
  return h("div", { class: "table-scroll", role: "region", "aria-label": label, tabindex: 0 }, table);
}

/** One figure of a `dl.figures`: what it is, and its value (a `dd`, with `data-field` naming it). */
export function figure(label: string, value: HTMLElement): HTMLElement {
  return h("div", { class: "figure" }, h("dt", {}, label), value);
}

export function row(cells: Child[], header = false): HTMLTableRowElement {
  return h("tr", {}, ...cells.map((c) => (header ? h("th", { scope: "col" }, c) : h("td", {}, c))));
}

/**
 * A table that becomes one card per row on a narrow screen (styles.css, `.stacked`): each cell then shows its
 * column's name, so that nothing (an action button, say) is off to the side.
 */
export function stackedTable(columns: string[], rows: Child[][]): HTMLTableElement {
  return h(
    "table",
    { class: "stacked" },
    h("thead", {}, row(columns, true)),
    h(
      "tbody",
      {},
      ...rows.map((cells) =>
        h("tr", {}, ...cells.map((c, i) => h("td", { "data-label": columns[i] ?? "" }, c))),
      ),
    ),
  );
}
