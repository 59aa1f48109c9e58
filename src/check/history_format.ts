// The three history formats `shoal check` reads, and how to pick one from a file name.

import { parseEdnHistory } from "./parse_edn.js";
import { parseJepsenLog } from "./parse_jepsen_log.js";
import { parseJsonlHistory } from "./parse_jsonl.js";
import { type HistoryOperation, type LocatedEvent, pairEvents } from "./operation.js";

/** A history file format. */
export type HistoryFormat = "jepsen" | "edn" | "jsonl";

/** Every format name. */
export const historyFormats: readonly HistoryFormat[] = ["jepsen", "edn", "jsonl"];

/** The format a file name implies (`.log` Jepsen, `.edn`/`.txt` EDN, `.jsonl`/`.json` JSONL), or null. */
export function formatFromFileName(fileName: string): HistoryFormat | null {
  if (fileName.endsWith(".log")) return "jepsen";
  if (fileName.endsWith(".edn") || fileName.endsWith(".txt")) return "edn";
  if (fileName.endsWith(".jsonl") || fileName.endsWith(".json")) return "jsonl";
  return null;
}

/** Parses `text` as `format` into located events. */
export function parseEvents(text: string, format: HistoryFormat): LocatedEvent[] {
  switch (format) {
    case "jepsen":
      return parseJepsenLog(text);
    case "edn":
      return parseEdnHistory(text);
    case "jsonl":
      return parseJsonlHistory(text);
  }
}

/** Parses `text` as `format` and pairs its events into operations. */
export function parseHistory(text: string, format: HistoryFormat): HistoryOperation[] {
  return pairEvents(parseEvents(text, format));
}
