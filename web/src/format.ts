// Figures in the reader's locale conventions (the browser's languages: decimal and group separators, currency
// placement), times on the site's clock, currencies as the cost version names them.
const locale = (): string => navigator.languages?.[0] ?? navigator.language ?? "en";

const number = (value: number, digits: number): string =>
  new Intl.NumberFormat(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(
    value,
  );

/** Fewer decimals as a figure grows: 0.34 kWh, 12.3 kWh, 4,512 kWh. */
const digitsFor = (value: number) => (Math.abs(value) < 100 ? 2 : Math.abs(value) < 10_000 ? 1 : 0);

export const kw = (value: number): string => `${number(value, 2)}\u00a0kW`;
export const kwh = (value: number): string => `${number(value, digitsFor(value))}\u00a0kWh`;
export const kg = (value: number): string => `${number(value, digitsFor(value))}\u00a0kg`;
export const count = (value: number): string => number(value, 0);
export const decimal = (value: number, digits: number): string => number(value, digits);

/** "—" when unpriced (no cost version, or rows in two currencies). */
export const money = (value: number | null, currency: string | null): string =>
  value === null || currency === null
    ? "—"
    : new Intl.NumberFormat(locale(), { style: "currency", currency }).format(value);

export const dateTime = (at: string | number, timeZone: string): string =>
  new Intl.DateTimeFormat(locale(), { timeZone, dateStyle: "medium", timeStyle: "medium" }).format(
    new Date(at),
  );

export const localDay = (date: string): string =>
  new Intl.DateTimeFormat(locale(), {
    timeZone: "UTC",
    weekday: "short",
    day: "numeric",
    month: "short",
  }).format(new Date(`${date}T00:00:00Z`));

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["day", 86_400],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

/** "12 seconds ago", "3 hours ago"; "never" without a time. */
export function age(at: string | null, now = Date.now()): string {
  if (at === null) return "never";
  const seconds = Math.max(0, Math.round((now - Date.parse(at)) / 1000));
  const [unit, size] = UNITS.find(([, s]) => seconds >= s) ?? ["second", 1];
  return new Intl.RelativeTimeFormat(locale(), { numeric: "auto" }).format(-Math.floor(seconds / size), unit);
}
