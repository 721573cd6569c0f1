// A bulk ILP writer for the hot paths (the ledger's checkpoints, replay): the official client's bytes over its
// HTTP transport, without its per-character cost. Everything else writes with the client (questdb.ts).
import http from "node:http";
import https from "node:https";
import type { Config } from "./config.ts";
import type { RowSender, RowWriter, TimestampUnit } from "./questdb.ts";

/** "00" to "99" as bytes. */
const PAIRS = Buffer.from(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0")).join(""));

/** Bytes kept free in an IlpBody's buffer between writes; see `#byte`. */
const SLACK = 1024;

/**
 * An ILP request body built with the calls of the official client's Sender and the same bytes, several times
 * faster: the client writes every character of a name or symbol with its own `Buffer.write`, which made writing
 * rows most of the ledger's and a replay's time. Escaping and number formats follow @questdb/nodejs-client 4.2.0:
 * doubles in binary (protocol 2 and later) or as text (protocol 1), integers with `i`, timestamps in microseconds
 * with `t`, the designated one too (in protocol 1, in nanoseconds without a unit). Table and column names are
 * checked by the client's rules once, then copied as bytes; integers are written digit by digit, without a string.
 */
export class IlpBody implements RowWriter {
  #buf: Buffer = Buffer.allocUnsafe(1 << 20);
  #spare: Buffer | undefined;
  /** Over #buf, for doubles at any offset (faster than Buffer's writeDoubleLE). */
  #view: DataView = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.length);
  #pos = 0;
  #rowStart = 0;
  #hasColumns = false;
  rows = 0;

  constructor(private readonly binaryDoubles: boolean) {}

  /** The finished rows, and an empty body. */
  take(): Buffer {
    if (this.#rowStart !== this.#pos) throw new Error("ILP row not finished");
    const body = this.#buf.subarray(0, this.#pos);
    const spare = this.#spare;
    this.#spare = undefined;
    this.#setBuffer(
      spare !== undefined && spare.length >= this.#buf.length ? spare : Buffer.allocUnsafe(this.#buf.length),
    );
    this.#pos = this.#rowStart = this.rows = 0;
    return body;
  }

  /** Drops the rows not yet taken, finished or not. */
  discard(): void {
    this.#pos = this.#rowStart = this.rows = 0;
  }

  /** Gives back a body `take` returned, once it is sent, for the next `take`: no new buffer per request. */
  recycle(body: Buffer): void {
    if (body.byteOffset === 0) this.#spare = Buffer.from(body.buffer);
  }

  table(name: string | IlpName): this {
    if (this.#pos !== this.#rowStart) throw new Error("Table name has already been set");
    this.#reserve(SLACK);
    this.#copy(typeof name === "string" ? ilpName(name, "table").bytes : name.bytes);
    this.#hasColumns = false;
    return this;
  }

  /**
   * Starts a row with a table name and symbols that `IlpBody.encodeHead` encoded: rows that share them (a device's
   * readings) copy their bytes instead of escaping each name and value again. More symbols may follow.
   */
  head(bytes: IlpHead): this {
    if (this.#pos !== this.#rowStart) throw new Error("Table name has already been set");
    this.#reserve(bytes.length + SLACK);
    this.#copy(bytes);
    this.#hasColumns = false;
    return this;
  }

  /** The bytes `write` makes with `table` and `symbol` calls, for `head`. */
  static encodeHead(write: (body: IlpBody) => void): IlpHead {
    headScratch ??= new IlpBody(false); // symbols are text whatever the protocol
    headScratch.discard();
    write(headScratch);
    if (headScratch.#hasColumns || headScratch.#pos === 0)
      throw new Error("A row head is a table and symbols");
    return new Uint8Array(headScratch.#buf.subarray(0, headScratch.#pos)); // a copy: the scratch is reused
  }

  symbol(name: string | IlpName, value: unknown): this {
    if (this.#hasColumns) throw new Error("Symbol can be added only before any column added");
    this.#reserve(SLACK);
    this.#byte(0x2c); // ,
    this.#copy(columnBytes(name));
    this.#byte(0x3d); // =
    this.#escaped(typeof value === "string" ? value : String(value), false);
    return this;
  }

  stringColumn(name: string | IlpName, value: string): this {
    if (typeof value !== "string")
      throw new Error(`Column value must be of type string, received ${typeof value}`);
    this.#column(name);
    this.#byte(0x22); // "
    this.#escaped(value, true);
    this.#byte(0x22);
    return this;
  }

  booleanColumn(name: string | IlpName, value: boolean): this {
    this.#column(name);
    this.#byte(value ? 0x74 : 0x66); // t or f
    return this;
  }

  floatColumn(name: string | IlpName, value: number): this {
    if (typeof value !== "number")
      throw new Error(`Column value must be of type number, received ${typeof value}`);
    this.#column(name);
    if (this.binaryDoubles) {
      this.#byte(0x3d); // =
      this.#byte(16); // a double follows, 8 bytes little-endian
      this.#view.setFloat64(this.#pos, value, true);
      this.#pos += 8;
    } else this.#ascii(value.toString());
    return this;
  }

  intColumn(name: string | IlpName, value: number): this {
    if (!Number.isInteger(value)) throw new Error(`Value must be an integer, received ${value}`);
    this.#column(name);
    if (Number.isSafeInteger(value)) this.#integer(value);
    else this.#ascii(value.toString());
    this.#byte(0x69); // i
    return this;
  }

  timestampColumn(name: string | IlpName, value: number | bigint, unit: TimestampUnit = "us"): this {
    if (unit === "ms" && Number.isSafeInteger(value)) return this.timestampColumnMs(name, value as number);
    const us = micros(value, unit);
    this.#column(name);
    this.#ascii(us.toString());
    this.#byte(0x74); // t
    return this;
  }

  /** `timestampColumn(name, BigInt(Math.round(ms)) * 1000n, "us")`, without the BigInts. */
  timestampColumnMs(name: string | IlpName, ms: number): this {
    this.#column(name);
    this.#scaled(ms, 3);
    this.#byte(0x74); // t
    return this;
  }

  /** Ends the row at its designated timestamp. Synchronous: nothing is sent until the body is taken. */
  at(timestamp: number | bigint, unit: TimestampUnit = "us"): void {
    if (unit === "ms" && Number.isSafeInteger(timestamp)) {
      this.atMs(timestamp as number);
      return;
    }
    const us = micros(timestamp, unit);
    this.#startTimestamp();
    if (this.binaryDoubles) {
      this.#ascii(us.toString());
      this.#byte(0x74); // t
    } else this.#ascii((us * 1000n).toString()); // protocol 1: nanoseconds, without a unit
    this.#endRow();
  }

  /** `at(BigInt(Math.round(ms)) * 1000n, "us")`, without the BigInts. */
  atMs(ms: number): void {
    this.#startTimestamp();
    if (this.binaryDoubles) {
      this.#scaled(ms, 3);
      this.#byte(0x74); // t
    } else this.#scaled(ms, 6);
    this.#endRow();
  }

  #startTimestamp(): void {
    if (this.#pos === this.#rowStart)
      throw new Error("The row must have a symbol or column set before it is closed");
    this.#reserve(SLACK);
    this.#byte(0x20); // space
  }

  #endRow(): void {
    this.#byte(0x0a); // newline
    this.#rowStart = this.#pos;
    this.rows++;
  }

  #column(name: string | IlpName): void {
    this.#reserve(SLACK);
    this.#byte(this.#hasColumns ? 0x2c : 0x20);
    this.#copy(columnBytes(name));
    this.#byte(0x3d);
    this.#hasColumns = true;
  }

  #reserve(bytes: number): void {
    if (this.#pos + bytes <= this.#buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + bytes));
    this.#buf.copy(grown, 0, 0, this.#pos);
    this.#setBuffer(grown);
  }

  #setBuffer(buf: Buffer): void {
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  }

  // Every call above starts by making SLACK bytes free: enough for its separators, a name (at most 127 characters
  // of 3 bytes), a number or a double. Only text of any length (`#escaped`, `#ascii`) makes room for itself.

  #byte(b: number): void {
    this.#buf[this.#pos++] = b;
  }

  #copy(bytes: Uint8Array): void {
    const buf = this.#buf;
    let pos = this.#pos;
    // A row head (tens of bytes) is copied natively; a loop is faster for a short name, below the call's cost.
    if (bytes.length > 24) {
      buf.set(bytes, pos);
      pos += bytes.length;
    } else for (let i = 0; i < bytes.length; i++) buf[pos++] = bytes[i] as number;
    this.#pos = pos;
  }

  /** Digits, signs and the like: one byte per character. */
  #ascii(s: string): void {
    this.#reserve(s.length + SLACK);
    for (let i = 0; i < s.length; i++) this.#buf[this.#pos++] = s.charCodeAt(i);
  }

  /** A safe integer's digits, as `toString` writes them (−0 as 0). */
  #integer(n: number): void {
    if (n < 0) {
      this.#byte(0x2d); // -
      n = -n;
    }
    if (n < 1e8) {
      this.#digits(n, 0);
      return;
    }
    // Epoch timestamps have 13 to 16 digits: written as two parts below 2^31, whose digits are found with small
    // integer arithmetic rather than by dividing doubles.
    const high = Math.floor(n / 1e8);
    this.#digits(high, 0);
    this.#digits(n - high * 1e8, 8);
  }

  /** The digits of 0 ≤ n < 1e8, zero-padded to `width`: two at a time, from the last. */
  #digits(n: number, width: number): void {
    let length = 1;
    for (let p = 10; p <= n; p *= 10) length++;
    if (length < width) length = width;
    const buf = this.#buf;
    let rest = n | 0;
    let at = this.#pos + length;
    while (at - this.#pos >= 2) {
      const q = (rest / 100) | 0;
      const pair = 2 * (rest - q * 100);
      buf[--at] = PAIRS[pair + 1] as number;
      buf[--at] = PAIRS[pair] as number;
      rest = q;
    }
    if (at > this.#pos) buf[--at] = 0x30 + rest;
    this.#pos += length;
  }

  /** The digits of `BigInt(Math.round(ms)) * 10n ** zeros`: epoch ms in microseconds (3) or nanoseconds (6). */
  #scaled(ms: number, zeros: 3 | 6): void {
    const whole = Math.round(ms);
    if (whole === 0 || !Number.isSafeInteger(whole)) {
      this.#ascii((BigInt(whole) * 10n ** BigInt(zeros)).toString());
      return;
    }
    this.#integer(whole);
    for (let i = 0; i < zeros; i++) this.#buf[this.#pos++] = 0x30;
  }

  /**
   * A name or value with the client's escaping: a backslash before space, comma and equals sign outside quotes,
   * before a double quote inside them, and before newline, carriage return and backslash everywhere. Runs of
   * non-ASCII text are written as UTF-8 as they are.
   */
  #escaped(s: string, quoted: boolean): void {
    // At most 3 bytes per UTF-16 unit: 2 for an escaped ASCII character, 3 for a character in UTF-8.
    this.#reserve(3 * s.length + SLACK);
    const buf = this.#buf;
    let pos = this.#pos;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        let j = i + 1;
        while (j < s.length && s.charCodeAt(j) >= 0x80) j++;
        pos += buf.write(s.slice(i, j), pos);
        i = j - 1;
        continue;
      }
      if ((quoted ? ESCAPED_QUOTED : ESCAPED)[c] === 1) buf[pos++] = 0x5c;
      buf[pos++] = c;
    }
    this.#pos = pos;
  }
}

/** A row's table name and symbols as bytes (`IlpBody.encodeHead`). */
export type IlpHead = Uint8Array;

let headScratch: IlpBody | undefined;

/** The ASCII characters the client writes a backslash before, outside quotes and inside them (as 1). */
const ESCAPED = escapes("\\\n\r ,=");
const ESCAPED_QUOTED = escapes('\\\n\r"');

function escapes(characters: string): Uint8Array {
  const table = new Uint8Array(128);
  for (const c of characters) table[c.charCodeAt(0)] = 1;
  return table;
}

function micros(value: number | bigint, unit: TimestampUnit): bigint {
  if (typeof value !== "bigint" && !Number.isInteger(value))
    throw new Error(`Timestamp value must be an integer or BigInt, received ${value}`);
  return unit === "ms" ? BigInt(value) * 1000n : BigInt(value);
}

/** A table or column name, checked and escaped once. */
export class IlpName {
  constructor(readonly bytes: Uint8Array) {}
}

const names = { table: new Map<string, IlpName>(), column: new Map<string, IlpName>() };

function columnBytes(name: string | IlpName): Uint8Array {
  return typeof name === "string" ? ilpName(name, "column").bytes : name.bytes;
}

/** A table or column name checked by the client's rules (the `-` it refuses in column names only), escaped. */
export function ilpName(name: string, kind: "table" | "column" = "column"): IlpName {
  const known = names[kind].get(name);
  if (known !== undefined) return known;
  const refused = kind === "table" ? "?,'\"\\/:)(+*%~\u007f\ufeff" : "?.,'\"\\/:)(+-*%~\u007f\ufeff";
  const bad = (c: string) => c.charCodeAt(0) < 0x10 || refused.includes(c);
  const dots = kind === "table" && (name.startsWith(".") || name.endsWith(".") || name.includes(".."));
  if (typeof name !== "string" || name.length === 0 || name.length > 127 || [...name].some(bad) || dots)
    throw new Error(`Invalid ${kind} name: ${JSON.stringify(name)}`);
  let escaped = "";
  for (const ch of name) escaped += ESCAPED[ch.charCodeAt(0)] === 1 ? `\\${ch}` : ch;
  const checked = new IlpName(Buffer.from(escaped));
  names[kind].set(name, checked);
  return checked;
}

/** Codes the client retries on (with network errors), for up to RETRY_MS. */
const RETRIABLE = new Set([500, 503, 504, 507, 509, 523, 524, 529, 599]);
const RETRY_MS = 10_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** Bytes per second a request may take at least, as the client's request_min_throughput. */
const MIN_THROUGHPUT = 102_400;

/**
 * POSTs ILP bodies to QuestDB's /write over HTTP, as the client's transport does (basic auth, retries on network
 * errors and on the codes it retries, for up to 10 s; each body is one WAL transaction, and rewrites of whole rows
 * are idempotent, so a retry is safe).
 */
export class IlpPoster {
  readonly #agent: http.Agent | https.Agent;

  private constructor(
    private readonly url: URL,
    private readonly authorization: string,
    /** Whether the server reads binary doubles (ILP protocol 2 and later), which the client then sends. */
    readonly binaryDoubles: boolean,
  ) {
    this.#agent =
      url.protocol === "https:" ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  }

  /** Asks the server which ILP protocol versions it reads, as the client does when it connects. */
  static async open(config: Config): Promise<IlpPoster> {
    const { httpUrl, user, password } = config.questdb;
    const origin = new URL(httpUrl).origin;
    const response = await fetch(`${origin}/settings`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`QuestDB /settings: HTTP ${response.status}`);
    const settings = (await response.json()) as { config?: Record<string, unknown> };
    const versions = settings.config?.["line.proto.support.versions"];
    const binary = Array.isArray(versions) && versions.some((v) => Number(v) >= 2);
    const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
    return new IlpPoster(new URL(`${origin}/write?precision=n`), authorization, binary);
  }

  body(): IlpBody {
    return new IlpBody(this.binaryDoubles);
  }

  /** Sends a body; resolves once QuestDB has taken it (or rejects when it will not). */
  async post(body: Buffer): Promise<void> {
    if (body.length === 0) return;
    const started = Date.now();
    for (let wait = 10; ; wait = Math.min(2 * wait, 1000)) {
      const failure = await this.#attempt(body);
      if (failure === null) return;
      if (!failure.retriable || Date.now() - started > RETRY_MS) throw failure.error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** Closes the idle connections. */
  close(): void {
    this.#agent.destroy();
  }

  /** One request, with node:http rather than fetch, which would copy the body first. */
  #attempt(body: Buffer): Promise<{ error: unknown; retriable: boolean } | null> {
    const request = this.url.protocol === "https:" ? https.request : http.request;
    return new Promise((resolve) => {
      const req = request(this.url, {
        method: "POST",
        agent: this.#agent,
        headers: { Authorization: this.authorization, "Content-Length": body.length },
        timeout: REQUEST_TIMEOUT_MS + Math.ceil((1000 * body.length) / MIN_THROUGHPUT),
      });
      req.on("timeout", () =>
        req.destroy(new Error("HTTP request timeout, no response from server in time")),
      );
      req.on("error", (error) => resolve({ error, retriable: true })); // no answer (refused, reset, timed out)
      req.on("response", (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", (error) => resolve({ error, retriable: true }));
        response.on("end", () => {
          const status = response.statusCode ?? 0;
          if (status === 204) return resolve(null);
          const error = new Error(
            `HTTP request failed, statusCode=${status}, error=${Buffer.concat(chunks)}`,
          );
          resolve({ error, retriable: RETRIABLE.has(status) });
        });
      });
      req.end(body);
    });
  }
}

/** An IlpBody sent by an IlpPoster on `flush`: the client's Sender calls, for `LedgerRows` and the mirror. */
export class IlpSender extends IlpBody implements RowSender {
  constructor(private readonly poster: IlpPoster) {
    super(poster.binaryDoubles);
  }

  static async open(config: Config): Promise<IlpSender> {
    return new IlpSender(await IlpPoster.open(config));
  }

  /** Sends the finished rows as one request (one WAL transaction); whether there were any. */
  async flush(): Promise<boolean> {
    if (this.rows === 0) return false;
    const body = this.take();
    await this.poster.post(body);
    this.recycle(body);
    return true;
  }

  /** Drops what is not sent. */
  reset(): this {
    this.discard();
    return this;
  }

  async close(): Promise<void> {
    this.poster.close();
  }
}
