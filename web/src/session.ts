// The API key lives in this tab's sessionStorage only: gone when the tab closes, never in localStorage, a cookie
// or a URL. The role comes from the API (GET /api/v1/session) and only decides what the pages offer; the API
// enforces it again on every request.
import type { Role } from "./types.ts";

const STORAGE_KEY = "wattline.api-key";

export const storedKey = (): string | null => sessionStorage.getItem(STORAGE_KEY);
export const storeKey = (key: string): void => sessionStorage.setItem(STORAGE_KEY, key);
export const forgetKey = (): void => sessionStorage.removeItem(STORAGE_KEY);

export const canOperate = (role: Role): boolean => role === "operator" || role === "admin";
