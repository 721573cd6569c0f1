// HopeCloud reports energy in kWh and power in kW as decimals. Multiplying the double by 1000 is not exact
// (4.02 * 1000 = 4019.9999999999995); shifting the decimal point in the number's shortest decimal form and
// parsing that is: the result is the double nearest to the true decimal value × 1000.

function shiftDecimal(value: number, places: number): number {
  const [mantissa, exponent = "0"] = String(value).split("e");
  return Number(`${mantissa}e${Number(exponent) + places}`);
}

export const kwhToWh = (kwh: number): number => shiftDecimal(kwh, 3);
export const kwToW = (kw: number): number => shiftDecimal(kw, 3);
