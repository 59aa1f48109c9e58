// A Logger that writes into the run's Trace: log events become trace lines, folded into the trace
// hash, so a run's logs replay with it and `shoal sim --trace` shows them interleaved with network
// events. Lines put ids first (STYLE.md rule 25): `log n1 info became-leader term=3`.

import type { LogFields, Logger } from "../env/logger.js";
import type { SimScheduler } from "./scheduler.js";
import type { Trace } from "./trace.js";

/** Log levels in increasing severity. */
export const simLogLevels = ["debug", "info", "warn", "error"] as const;

/** One of {@link simLogLevels}. */
export type SimLogLevel = (typeof simLogLevels)[number];

function formatValue(value: unknown): string {
  if (typeof value === "string") return /^[^\s="]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  if (value === undefined) return "undefined";
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Uint8Array) return `<${value.byteLength}B>`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Formats fields as `key=value` pairs in insertion order. */
export function formatLogFields(fields: LogFields): string {
  let line = "";
  for (const key of Object.keys(fields)) line += ` ${key}=${formatValue(fields[key])}`;
  return line;
}

/** Implements {@link Logger} by recording events in a {@link Trace} at virtual time. */
export class SimLogger implements Logger {
  private readonly minimumRank: number;

  constructor(
    private readonly trace: Trace,
    private readonly scheduler: SimScheduler,
    private readonly node: string,
    private readonly minimum: SimLogLevel = "info",
    private readonly fields: LogFields = {},
  ) {
    this.minimumRank = simLogLevels.indexOf(minimum);
  }

  debug(event: string, fields?: LogFields): void {
    this.log(0, "debug", event, fields);
  }

  info(event: string, fields?: LogFields): void {
    this.log(1, "info", event, fields);
  }

  warn(event: string, fields?: LogFields): void {
    this.log(2, "warn", event, fields);
  }

  error(event: string, fields?: LogFields): void {
    this.log(3, "error", event, fields);
  }

  child(fields: LogFields): Logger {
    return new SimLogger(this.trace, this.scheduler, this.node, this.minimum, { ...this.fields, ...fields });
  }

  private log(rank: number, level: SimLogLevel, event: string, fields: LogFields | undefined): void {
    if (rank < this.minimumRank) return;
    const extra = fields === undefined ? "" : formatLogFields(fields);
    this.trace.record(
      this.scheduler.nowMs,
      `log ${this.node} ${level} ${event}${formatLogFields(this.fields)}${extra}`,
    );
  }
}
