// CSV (RFC 4180) of what a page shows, downloaded as a file.
import { h } from "./dom.ts";

type Cell = string | number | null;

const field = (cell: Cell): string => {
  const text = cell === null ? "" : String(cell);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

export const toCsv = (columns: string[], rows: Cell[][]): string =>
  `${[columns, ...rows].map((r) => r.map(field).join(",")).join("\r\n")}\r\n`;

export function download(filename: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const link = h("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
