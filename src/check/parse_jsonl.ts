// Reads Shoal's JSONL histories (history.ts): one JSON object per line.

import type { EventType, HistoryEvent } from "./history.js";
import { HistoryInputError, type LocatedEvent } from "./operation.js";

const eventTypes: readonly string[] = ["invoke", "ok", "fail", "info"];

function toEvent(value: unknown, line: number): HistoryEvent {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HistoryInputError(line, "expected a JSON object");
  }
  const record = value as Record<string, unknown>;
  if (typeof record.type !== "string" || !eventTypes.includes(record.type)) {
    throw new HistoryInputError(line, '"type" must be one of invoke, ok, fail, info');
  }
  if (!Number.isSafeInteger(record.process))
    throw new HistoryInputError(line, '"process" must be an integer');
  if (typeof record.f !== "string" || record.f === "")
    throw new HistoryInputError(line, '"f" must be a string');
  if (record.key !== undefined && typeof record.key !== "string") {
    throw new HistoryInputError(line, '"key" must be a string');
  }
  if (typeof record.time !== "number" || !Number.isFinite(record.time)) {
    throw new HistoryInputError(line, '"time" must be a number');
  }
  const base = {
    type: record.type as EventType,
    process: record.process as number,
    f: record.f,
    time: record.time,
    ...(record.value === undefined ? {} : { value: record.value }),
  };
  return record.key === undefined ? base : { ...base, key: record.key };
}

/** Parses a JSONL history; throws {@link HistoryInputError} naming the first bad line. */
export function parseJsonlHistory(text: string): LocatedEvent[] {
  const events: LocatedEvent[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new HistoryInputError(i + 1, `not JSON: ${(error as Error).message}`);
    }
    events.push({ event: toEvent(value, i + 1), line: i + 1 });
  }
  return events;
}
