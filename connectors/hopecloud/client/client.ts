// The HopeCloud client: typed, validated calls over the transport (auth, rate limit, retries, timeouts).
import type { z } from "zod";
import { MAX_REALTIME_SNS, PATHS } from "../api/paths.ts";
import {
  type Divertor,
  divertor,
  type Equipment,
  equipment,
  type Plant,
  page,
  plant,
  type Realtime,
  realtime,
  realtimeList,
  token,
} from "../api/shapes.ts";
import type { BackoffOptions } from "./backoff.ts";
import { type Listing, parseData, validateRecords } from "./listing.ts";
import { fetchAllPages } from "./paginate.ts";
import { RateLimiter } from "./rate-limiter.ts";
import { TokenSource } from "./token-source.ts";
import { type RetryEvent, send, type TransportOptions } from "./transport.ts";

export interface HopeCloudClientOptions {
  baseUrl: string;
  appKey: string;
  appSecret: string;
  timeoutMs?: number;
  maxRetries?: number;
  requestsPerSecond?: number;
  pageSize?: number;
  backoff?: BackoffOptions;
  maxRetryAfterMs?: number;
  fetch?: typeof fetch;
  random?: () => number;
  onRetry?: (event: RetryEvent) => void;
}

export class HopeCloudClient {
  readonly #abort = new AbortController();
  readonly #transport: TransportOptions;
  readonly #tokens: TokenSource;
  readonly #pageSize: number;

  constructor(o: HopeCloudClientOptions) {
    this.#pageSize = o.pageSize ?? 100;
    this.#transport = {
      baseUrl: o.baseUrl,
      timeoutMs: o.timeoutMs ?? 10_000,
      maxRetries: o.maxRetries ?? 4,
      backoff: o.backoff ?? { baseMs: 500, maxMs: 30_000 },
      maxRetryAfterMs: o.maxRetryAfterMs ?? 60_000,
      limiter: new RateLimiter(o.requestsPerSecond ?? 5),
      random: o.random ?? Math.random,
      fetch: o.fetch ?? fetch,
      signal: this.#abort.signal,
      onRetry: o.onRetry,
    };
    const credentials = { appKey: o.appKey, appSecret: o.appSecret };
    this.#tokens = new TokenSource(async () =>
      parseData(
        token,
        await send(this.#transport, { method: "POST", path: PATHS.token, body: credentials }),
        `POST ${PATHS.token}`,
      ),
    );
  }

  listPlants(): Promise<Listing<Plant>> {
    return this.#list(PATHS.plants, {}, plant, (p) => p.id);
  }

  listEquipment(plantId: string): Promise<Listing<Equipment>> {
    return this.#list(PATHS.equipment, { plantId }, equipment, (e) => e.equipmentSn);
  }

  listDivertors(plantId: string): Promise<Listing<Divertor>> {
    return this.#list(PATHS.divertors, { plantId }, divertor, (d) => d.id);
  }

  /** The latest data of these inverters, asked for in batches of the most serials the cloud takes at once. */
  async realtime(sns: readonly string[]): Promise<Listing<Realtime>> {
    const out: Listing<Realtime> = { records: [], invalid: [] };
    for (let i = 0; i < sns.length; i += MAX_REALTIME_SNS) {
      const snList = sns.slice(i, i + MAX_REALTIME_SNS);
      const data = await send(this.#transport, {
        method: "POST",
        path: PATHS.realtime,
        body: { snList },
        auth: this.#tokens,
      });
      const listing = validateRecords(realtime, parseData(realtimeList, data, `POST ${PATHS.realtime}`));
      out.records.push(...listing.records);
      out.invalid.push(...listing.invalid);
    }
    return out;
  }

  /** Aborts every call in flight and every wait; later calls fail at once. */
  close(): void {
    this.#abort.abort();
  }

  #list<S extends z.ZodType>(
    path: string,
    query: Record<string, string>,
    schema: S,
    keyOf: (record: z.output<S>) => string,
  ): Promise<Listing<z.output<S>>> {
    const pageSize = this.#pageSize;
    return fetchAllPages(
      async (pageIndex) => {
        const data = await send(this.#transport, {
          method: "GET",
          path,
          query: { ...query, pageIndex, pageSize },
          auth: this.#tokens,
        });
        const p = parseData(page, data, `GET ${path}`);
        return { total: p.page.total, records: p.records };
      },
      pageSize,
      schema,
      keyOf,
    );
  }
}
