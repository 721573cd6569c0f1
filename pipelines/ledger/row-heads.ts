// The heads (table name and symbols) of a replay's readings and ledger rows, kept per device: a device's rows
// nearly always repeat its last symbol values, and escaping them again was most of the cost of writing a row. The
// replay keeps a device's heads beside its fold, so a reading costs one lookup of its device, not one per table.
import type { IlpHead } from "../../ground/ilp.ts";

/** The head of a device's last row of one table, and the two symbol values after device_id it was made with. */
export class RowHead {
  #a = "";
  #b = "";
  #head: IlpHead | undefined;

  constructor(private readonly encode: (device: string, a: string, b: string) => IlpHead) {}

  get(device: string, a: string, b: string): IlpHead {
    if (this.#head !== undefined && this.#a === a && this.#b === b) return this.#head;
    this.#a = a;
    this.#b = b;
    this.#head = this.encode(device, a, b);
    return this.#head;
  }
}
