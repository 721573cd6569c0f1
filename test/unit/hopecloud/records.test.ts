import assert from "node:assert/strict";
import { test } from "node:test";
import { divertor, realtime } from "../../../connectors/hopecloud/api/shapes.ts";
import { localTimeToMs, msToLocalTime } from "../../../connectors/hopecloud/records/local-time.ts";
import { toModuleRecord } from "../../../connectors/hopecloud/records/module-record.ts";
import { moduleStatus } from "../../../connectors/hopecloud/records/module-status.ts";
import { inverterDeviceId, toReading } from "../../../connectors/hopecloud/records/reading-record.ts";
import { kwhToWh, kwToW } from "../../../connectors/hopecloud/records/units.ts";

/** The module of seed 000, as HopeCloud sent it. */
const SEED_MODULE = {
  id: "1795625821979877378",
  equipmentPn: "30081304A06G245H99476",
  divertorName: "30081304A06G245H99476",
  powerPlantId: "1931572113875873794",
  powerPlantName: 'OOO "Kontinent kachestvo"',
  userId: "1931606861202419713",
  userName: "Muzaffar007",
  deviceType: "707",
  iccid: null,
  operatorType: "",
  startTime: "2024-05-28 22:18:52",
  stopTime: null,
  loadedNumber: 1,
  rssi: 39,
  longitude: null,
  latitude: null,
  status: 1,
  updateTime: "2025-06-19 14:46:00",
};

test("kWh and kW become Wh and W exactly, where × 1000 on the double would not", () => {
  assert.notEqual(4.02 * 1000, 4020);
  assert.equal(kwhToWh(4.02), 4020);
  assert.equal(kwhToWh(1234.57), 1234570);
  assert.equal(kwhToWh(0.1), 100);
  assert.equal(kwhToWh(9048), 9048000);
  assert.equal(kwhToWh(0), 0);
  assert.equal(kwhToWh(1e-7), 1e-4);
  assert.equal(kwhToWh(1.5e21), 1.5e24);
  assert.equal(kwToW(3.456), 3456);
  for (let cents = 0; cents < 100_000; cents += 7) assert.equal(kwhToWh(cents / 100), cents * 10);
});

test("local times are read in the plant's zone, DST included, and written back the same", () => {
  assert.equal(localTimeToMs("2025-06-19 14:46:00", "Asia/Tashkent"), Date.UTC(2025, 5, 19, 9, 46));
  assert.equal(localTimeToMs("2025-06-19 14:46:00", "Europe/Berlin"), Date.UTC(2025, 5, 19, 12, 46));
  assert.equal(localTimeToMs("2025-01-19 14:46:00", "Europe/Berlin"), Date.UTC(2025, 0, 19, 13, 46));
  assert.equal(localTimeToMs("2025-06-19 14:46:00", "Asia/Kolkata"), Date.UTC(2025, 5, 19, 9, 16));
  assert.equal(msToLocalTime(Date.UTC(2025, 5, 19, 9, 16), "Asia/Kolkata"), "2025-06-19 14:46:00");
  assert.throws(() => localTimeToMs("2025-02-30 10:00:00", "UTC"), /not a yyyy-MM-dd HH:mm:ss time/);
});

test("status: 1 online, 0 offline, 2 fault, anything else unknown (never guessed offline)", () => {
  assert.deepEqual([1, 0, 2, 3, -1, null].map(moduleStatus), [
    "online",
    "offline",
    "fault",
    "unknown",
    "unknown",
    "unknown",
  ]);
});

test("seed 000's module becomes a HopeCloudModule record", () => {
  const d = divertor.parse(SEED_MODULE);
  const fetchedAt = Date.UTC(2025, 5, 19, 10);
  const ctx = { plantId: SEED_MODULE.powerPlantId, zone: "Asia/Tashkent", fetchedAt };
  assert.deepEqual(toModuleRecord(d, ctx), {
    module_id: "1795625821979877378",
    serial: "30081304A06G245H99476",
    name: "30081304A06G245H99476",
    plant_id: "1931572113875873794",
    plant_name: 'OOO "Kontinent kachestvo"',
    user_id: "1931606861202419713",
    model: "707",
    firmware: null,
    iccid: null,
    operator: null,
    rssi: 39,
    status_code: 1,
    status: "online",
    loaded_number: 1,
    longitude: null,
    latitude: null,
    start_time: Date.UTC(2024, 4, 28, 17, 18, 52),
    stop_time: null,
    last_update: Date.UTC(2025, 5, 19, 9, 46),
    fetched_at: fetchedAt,
  });
  assert.throws(() => toModuleRecord(d, { ...ctx, plantId: "42" }), /listed under plant 42 but names plant/);
});

test("the cloud's loose types are accepted, wrong values are refused with the field", () => {
  const loose = divertor.parse({
    ...SEED_MODULE,
    deviceType: 707,
    rssi: "39",
    latitude: "41.3",
    longitude: 69.2,
  });
  assert.deepEqual([loose.deviceType, loose.rssi, loose.latitude, loose.longitude], ["707", 39, 41.3, 69.2]);
  const minimal = divertor.parse({ id: "7" });
  assert.equal(minimal.status, null);
  assert.equal(minimal.powerPlantId, null);
  const bad = divertor.safeParse({
    ...SEED_MODULE,
    id: Number("1795625821979877378"), // a JSON number: its last digits are already lost
    latitude: "95",
    startTime: "28.05.2024",
  });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error?.issues.map((i) => i.path.join(".")).sort(), ["id", "latitude", "startTime"]);
});

test("realtime data becomes a TelemetryReading in Wh at the data's own timestamp", () => {
  const r = realtime.parse({
    sn: "HW123",
    timestamp: "2025-06-19 14:45:00",
    totalKwh: "9048.37",
    activePower: 4.321,
    voltage: 231.5,
    current: 18.66,
  });
  const receivedAt = Date.UTC(2025, 5, 19, 9, 47, 3);
  assert.deepEqual(toReading(r, "Asia/Tashkent", receivedAt), {
    device_id: inverterDeviceId("HW123"),
    ts: Date.UTC(2025, 5, 19, 9, 45),
    ts_source: "device",
    energy_wh_total: 9048370,
    power_w: 4321,
    boot_id: null,
    seq: null,
    switch_state: null,
    voltage_v: 231.5,
    current_a: 18.66,
    source: "hopecloud",
    received_at: receivedAt,
  });
  assert.equal(inverterDeviceId("HW123"), "hc-HW123");
  assert.equal(
    realtime.safeParse({ sn: "HW1", timestamp: "2025-06-19 14:45:00", totalKwh: -1 }).success,
    false,
  );
});
