// A registry file covering the whole hierarchy, keyed by `site` so that tests sharing a database never collide
// (adapter types and device ids are global, so they carry the site id too).
export function sampleYaml(site: string): string {
  return `version: 1
adapter_types:
  - key: ${site}-modbus
    name: Powdrive over Modbus RTU
    protocol: modbus_rtu
sites:
  - id: ${site}
    name: Berlin school
    timezone: Europe/Berlin
    emission_factor_kg_per_kwh: 0.38
    systems:
      - key: main
        name: Main roof
        adapters:
          - key: rtu0
            type: ${site}-modbus
            config: { port: /dev/ttyUSB0, unit_id: 1 }
        inverter_arrays:
          - key: ground
          - key: roof
        inverters:
          - key: inv1
            array: ground
            adapter: rtu0
            rated_power_w: 6000
            device_id: ${site}-inv-1
          - key: inv2
            array: roof
            rated_power_w: 5000
            device_id: ${site}-inv-2
        battery_arrays:
          - key: bank
            attached_to: [ground, roof]
        battery_packs:
          - key: pack1
            array: bank
            capacity_kwh: 10.24
            device_id: ${site}-bat-1
            batteries:
              - key: b1
                cells: { count: 16, nominal_voltage_v: 3.2 }
          - key: pack2
            array: bank
            capacity_kwh: 10.24
        meters:
          - key: grid
            role: grid
            device_id: ${site}-grid
      - key: annex
        name: Annex
    devices:
      - id: ${site}-inv-1
        kind: inverter
        max_power_w: 6600
      - id: ${site}-inv-2
        kind: inverter
      - id: ${site}-bat-1
        kind: battery
      - id: ${site}-grid
        kind: meter
        expected_interval_s: 10
      - id: ${site}-esp-1
        kind: classroom
        group: classroom-1
        timezone: UTC
  - id: ${site}-b
    name: Pune office
    timezone: Asia/Kolkata
    devices:
      - id: ${site}-b-esp
        kind: classroom
`;
}

/** 1-based number of the first line that ends with `text`. */
export const lineOf = (yaml: string, text: string): number =>
  yaml.split("\n").findIndex((l) => l.endsWith(text)) + 1;
