// The simulated fleet as HopeCloud JSON (api/shapes.ts), at the simulator's current time.
import { DateTime } from "luxon";
import type { EquipmentJson, PlantJson, RealtimeJson } from "../api/shapes.ts";
import { msToLocalTime } from "../records/local-time.ts";
import { energyKwh, latestUpload, powerKw } from "./energy.ts";
import type { SimInverter, SimPlant } from "./fleet.ts";

export function plantJson(p: SimPlant, now: number): PlantJson {
  return {
    id: p.id,
    name: p.name,
    timeZone: p.timeZone,
    kwp: p.inverters.reduce((sum, i) => sum + i.ratedKw, 0),
    status: 1,
    updateTime: msToLocalTime(latestUpload(now), p.timeZone),
    latitude: p.latitude.toFixed(6),
    longitude: p.longitude.toFixed(6),
  };
}

export function equipmentJson(p: SimPlant, i: SimInverter, now: number): EquipmentJson {
  return {
    id: i.id,
    equipmentSn: i.sn,
    equipmentName: i.name,
    equipmentModel: i.model,
    ratedPower: i.ratedKw,
    status: 1,
    firmwareVersion: i.firmware,
    lastUpdateTime: msToLocalTime(latestUpload(now), p.timeZone),
  };
}

export function realtimeJson(p: SimPlant, i: SimInverter, now: number): RealtimeJson {
  const at = latestUpload(now);
  const zone = p.timeZone;
  const totalKwh = energyKwh(i, at, zone);
  const midnight = DateTime.fromMillis(at, { zone }).startOf("day").toMillis();
  const activePower = powerKw(i, at, zone);
  const voltage = 230;
  return {
    sn: i.sn,
    timestamp: msToLocalTime(at, zone),
    totalKwh,
    todayKwh: Math.round((totalKwh - energyKwh(i, midnight, zone)) * 100) / 100,
    activePower,
    voltage,
    current: Math.round(((activePower * 1000) / voltage) * 100) / 100,
    frequency: 50,
    temperature: 35,
  };
}
