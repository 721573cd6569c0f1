// Requests to the API with the signed-in key. A 401 means the key was revoked or is wrong: the app signs out.
import { storedKey } from "./session.ts";
import type { Page } from "./types.ts";

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let unauthorized: () => void = () => {};
export const onUnauthorized = (handler: () => void): void => {
  unauthorized = handler;
};

interface Options {
  method?: "GET" | "POST";
  body?: unknown;
  /** A key to try instead of the stored one (signing in). */
  key?: string;
}

export async function api<T>(path: string, options: Options = {}): Promise<T> {
  const headers: Record<string, string> = { Authorization: `Bearer ${options.key ?? storedKey() ?? ""}` };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, {
    method: options.method ?? "GET",
    headers,
    body: options.body === undefined ? null : JSON.stringify(options.body),
  });
  if (res.ok) return (await res.json()) as T;
  if (res.status === 401 && options.key === undefined) unauthorized();
  const error = ((await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null)
    ?.error;
  throw new ApiFailure(res.status, error?.code ?? "http_error", error?.message ?? res.statusText);
}

/** Every item of a list route, following its cursor. */
export async function listAll<T>(path: string, filters: Record<string, string> = {}): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ ...filters, limit: "500", ...(cursor ? { cursor } : {}) });
    const page: Page<T> = await api<Page<T>>(`${path}?${query}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor !== null);
  return items;
}

/** What to tell the user about a failed request. */
export function problem(err: unknown): string {
  if (err instanceof ApiFailure) return err.message;
  return "The API cannot be reached. Check the connection and try again.";
}
