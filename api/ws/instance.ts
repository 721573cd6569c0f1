// Which API process this is. Stats are per instance, so an operator behind a balancer needs to know whose they
// are; the random part tells apart two instances of one process (tests) and containers that all run as pid 1.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

export interface Instance {
  id: string;
  hostname: string;
  pid: number;
}

export function newInstance(): Instance {
  const host = hostname();
  return { id: `${host}-${process.pid}-${randomBytes(4).toString("hex")}`, hostname: host, pid: process.pid };
}
