// The endpoints of the HopeCloud API, shared by the client and the simulator so that the two cannot drift.
export const PATHS = {
  /** POST {appKey, appSecret} → {accessToken, expiresIn}. */
  token: "/oauth/token",
  /** GET ?pageIndex&pageSize → plants. */
  plants: "/api/plants",
  /** GET ?plantId&pageIndex&pageSize → the plant's equipment (inverters). */
  equipment: "/api/equipment",
  /** POST {snList} → the inverters' latest data (no paging; at most MAX_REALTIME_SNS serials). */
  realtime: "/api/equipment/realtime",
  /** GET ?plantId&pageIndex&pageSize → the plant's communication modules. */
  divertors: "/api/divertors",
} as const;

export const MAX_REALTIME_SNS = 50;
export const MAX_PAGE_SIZE = 500;
