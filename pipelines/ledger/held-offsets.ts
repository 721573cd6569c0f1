// The input offsets of the readings a device's reorder buffer holds, in ts order: the runtime commits no offset past
// the lowest, and a checkpoint lists them so that a restore puts those readings back. A chatty device holds hundreds
// (its allowed lateness of readings), touched by every reading and read at every checkpoint, so: releases move a
// head instead of shifting the array; the lowest offset is the first while readings arrived in ts order (the usual
// case), found without a scan; and the checkpoint stores them packed (zigzag varint deltas, one or two bytes each).

/** Differences of offsets below 2^52 zigzag below 2^53, exact in float arithmetic (2^52 is 142 years at 1 M/s). */
const MAX_OFFSET = 2 ** 52;

function packable(offset: bigint): number {
  const o = Number(offset);
  if (!(o >= 0 && o < MAX_OFFSET)) throw new RangeError(`offset ${offset} cannot be packed`);
  return o;
}

export class HeldOffsets {
  #ts: number[] = [];
  /** As numbers (exact below 2^53): a checkpoint packs every one of them. */
  #offsets: number[] = [];
  #head = 0;
  /** Offsets rise along the ts order: the first is the lowest. */
  #inOrder = true;

  static of(entries: Iterable<{ ts: number; offset: bigint }>): HeldOffsets {
    const held = new HeldOffsets();
    for (const { ts, offset } of entries) held.add(ts, offset);
    return held;
  }

  get length(): number {
    return this.#ts.length - this.#head;
  }

  /** A reading taken into the buffer, placed after every held one at or before its ts. */
  add(ts: number, offset: bigint): void {
    const times = this.#ts;
    let i = times.length;
    while (i > this.#head && (times[i - 1] as number) > ts) i--;
    const o = packable(offset);
    if (i === times.length) {
      if (i > this.#head && o < (this.#offsets[i - 1] as number)) this.#inOrder = false;
      times.push(ts);
      this.#offsets.push(o);
    } else {
      this.#inOrder = false;
      times.splice(i, 0, ts);
      this.#offsets.splice(i, 0, o);
    }
  }

  /** Forgets the readings the buffer released: every one with ts up to `ts`. */
  releaseThrough(ts: number): void {
    const times = this.#ts;
    while (this.#head < times.length && (times[this.#head] as number) <= ts) this.#head++;
    if (this.#head === times.length) {
      this.#ts = [];
      this.#offsets = [];
      this.#head = 0;
      this.#inOrder = true;
    } else if (this.#head >= 64 && this.#head * 2 >= times.length) {
      this.#ts = times.slice(this.#head);
      this.#offsets = this.#offsets.slice(this.#head);
      this.#head = 0;
    }
  }

  lowest(): bigint | undefined {
    if (this.length === 0) return undefined;
    let low = this.#offsets[this.#head] as number;
    if (!this.#inOrder)
      for (let i = this.#head + 1; i < this.#offsets.length; i++) {
        const o = this.#offsets[i] as number;
        if (o < low) low = o;
      }
    return BigInt(low);
  }

  /** In ts order. */
  *entries(): IterableIterator<{ ts: number; offset: bigint }> {
    for (let i = this.#head; i < this.#ts.length; i++)
      yield { ts: this.#ts[i] as number, offset: BigInt(this.#offsets[i] as number) };
  }

  /** The offsets, and `more` after them, packed for a checkpoint. */
  pack(more: Iterable<bigint> = []): Buffer {
    const out = new VarintWriter(this.length * 2 + 16);
    const offsets = this.#offsets;
    let previous = 0;
    for (let i = this.#head; i < offsets.length; i++) {
      const o = offsets[i] as number;
      out.zigzag(o - previous);
      previous = o;
    }
    for (const offset of more) {
      const o = packable(offset);
      out.zigzag(o - previous);
      previous = o;
    }
    return out.bytes();
  }
}

/** The offsets `HeldOffsets.pack` wrote. */
export function unpackOffsets(bytes: Buffer): bigint[] {
  const offsets: bigint[] = [];
  let previous = 0;
  let i = 0;
  while (i < bytes.length) {
    let value = 0;
    let scale = 1;
    let byte: number;
    do {
      if (i >= bytes.length) throw new Error("packed offsets end inside a number");
      byte = bytes[i++] as number;
      value += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte >= 0x80);
    previous += value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    offsets.push(BigInt(previous));
  }
  return offsets;
}

/** Unsigned LEB128 of zigzag-mapped safe integers, in float arithmetic (offsets pass 2^31). */
class VarintWriter {
  #buffer: Buffer;
  #at = 0;

  constructor(capacity: number) {
    this.#buffer = Buffer.allocUnsafe(capacity);
  }

  zigzag(n: number): void {
    let value = n >= 0 ? n * 2 : -n * 2 - 1;
    if (this.#at + 8 > this.#buffer.length) {
      const grown = Buffer.allocUnsafe(this.#buffer.length * 2 + 16);
      this.#buffer.copy(grown, 0, 0, this.#at);
      this.#buffer = grown;
    }
    while (value >= 0x80) {
      this.#buffer[this.#at++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    this.#buffer[this.#at++] = value;
  }

  bytes(): Buffer {
    return Buffer.from(this.#buffer.subarray(0, this.#at));
  }
}
