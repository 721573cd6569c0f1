// HopeCloud's numeric module status → Wattline's (docs/registry.md). A missing or unrecognised code is
// "unknown", never guessed to be offline (the seed's code mapped 2 to fault, its notes to offline).
import type { ModuleStatus } from "../../../schemas/generated/types.ts";

const BY_CODE: ReadonlyMap<number, ModuleStatus> = new Map([
  [1, "online"],
  [0, "offline"],
  [2, "fault"],
]);

export const moduleStatus = (code: number | null): ModuleStatus =>
  (code === null ? undefined : BY_CODE.get(code)) ?? "unknown";
