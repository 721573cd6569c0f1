// The heads (table name and symbols) of a replay's readings and ledger rows, kept per device: a device's rows
// nearly always repeat its last symbol values, and escaping them again was most of the cost of writing a row.
import type { IlpHead } from "../../ground/ilp.ts";

/** Per device, the head of its last row and the two symbol values after device_id it was made with. */
export class RowHeads {
  readonly #heads = new Map<string, { a: string; b: string; head: IlpHead }>();

  constructor(private readonly encode: (device: string, a: string, b: string) => IlpHead) {}

  get(device: string, a: string, b: string): IlpHead {
    const known = this.#heads.get(device);
    if (known !== undefined && known.a === a && known.b === b) return known.head;
    const head = this.encode(device, a, b);
    this.#heads.set(device, { a, b, head });
    return head;
  }
}
