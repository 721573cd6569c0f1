// The HopeCloud API's JSON, as zod schemas: what the client accepts from the cloud and what the simulator must
// send (`…Json` input types). Unknown fields are dropped, so additions on the cloud's side do not break Wattline.
import { z } from "zod";
import {
  decimal,
  id,
  localTime,
  optionalCode,
  optionalCoordinate,
  optionalCount,
  optionalDecimal,
  optionalInteger,
  optionalLocalTime,
  optionalText,
} from "./fields.ts";

/** Every response: `code` 0 means success; anything else carries a `message`. */
export const envelope = z.object({
  code: z.number().int(),
  message: z.string().nullish(),
  data: z.unknown(),
});

export const token = z.object({
  accessToken: z.string().min(1),
  tokenType: z.string().nullish(),
  /** Lifetime in seconds. */
  expiresIn: z.number().int().positive(),
});

/** A list page. Records are validated one by one, so one bad record does not cost the page. */
export const page = z.object({
  page: z.object({
    pageIndex: z.number().int().min(1),
    pageSize: z.number().int().min(1),
    total: z.number().int().min(0),
  }),
  records: z.array(z.unknown()),
});

export const plant = z.object({
  id,
  name: z.string().min(1),
  /** IANA zone of the plant's local times, when the cloud reports one. */
  timeZone: optionalText,
  kwp: optionalDecimal,
  status: optionalInteger,
  updateTime: optionalLocalTime,
  latitude: optionalCoordinate(90),
  longitude: optionalCoordinate(180),
});

/** A plant's equipment (inverters). */
export const equipment = z.object({
  id,
  equipmentSn: id,
  equipmentName: optionalText,
  equipmentModel: optionalText,
  /** kW. */
  ratedPower: optionalDecimal,
  status: optionalInteger,
  firmwareVersion: optionalText,
  lastUpdateTime: optionalLocalTime,
});

/** A communication module ("divertor"), field for field as seed 000 documents it. */
export const divertor = z.object({
  id,
  equipmentPn: optionalText,
  divertorName: optionalText,
  powerPlantId: id.nullish().transform((v) => v ?? null),
  powerPlantName: optionalText,
  userId: optionalText,
  userName: optionalText,
  deviceType: optionalCode,
  iccid: optionalText,
  operatorType: optionalText,
  startTime: optionalLocalTime,
  stopTime: optionalLocalTime,
  loadedNumber: optionalCount,
  rssi: optionalInteger,
  longitude: optionalCoordinate(180),
  latitude: optionalCoordinate(90),
  status: optionalInteger,
  updateTime: optionalLocalTime,
  firmwareVersion: optionalText,
});

/** An inverter's latest data. Energies in kWh, power in kW, `timestamp` when the inverter measured. */
export const realtime = z.object({
  sn: id,
  timestamp: localTime,
  totalKwh: decimal.pipe(z.number().nonnegative()),
  todayKwh: optionalDecimal,
  activePower: optionalDecimal,
  voltage: optionalDecimal,
  current: optionalDecimal,
  frequency: optionalDecimal,
  temperature: optionalDecimal,
});
export const realtimeList = z.array(z.unknown());

export type Plant = z.output<typeof plant>;
export type Equipment = z.output<typeof equipment>;
export type Divertor = z.output<typeof divertor>;
export type Realtime = z.output<typeof realtime>;
export type PlantJson = z.input<typeof plant>;
export type EquipmentJson = z.input<typeof equipment>;
export type DivertorJson = z.input<typeof divertor>;
export type RealtimeJson = z.input<typeof realtime>;
