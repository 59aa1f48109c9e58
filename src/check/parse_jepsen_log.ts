// Reads Jepsen's text log of a register test (as in peer-histories/jepsen-etcd):
//
//     INFO  jepsen.util - 3	:invoke	:cas	[1 4]
//
// Fields are separated by tabs or spaces. Values are `nil`, integers, `[a b]` vectors and
// keywords. The log's conventions are mapped onto Shoal's event types here, once:
// - `:fail :cas` means the compare failed: a completed cas that did not swap (`ok`, value false);
// - `:fail :read` (e.g. `:timed-out`) means the read's outcome is unknown (`info`);
// - `:info` means unknown; any other `:fail` means the operation did not happen.

import type { EventType, HistoryEvent } from "./history.js";
import { HistoryInputError, type LocatedEvent } from "./operation.js";

const linePattern = /^\s*INFO\s+jepsen\.util\s+-\s+(\d+)\s+:(invoke|ok|fail|info)\s+:([\w-]+)\s*(.*?)\s*$/;

function parseValue(text: string, line: number): unknown {
  if (text === "" || text === "nil") return null;
  if (/^-?\d+$/.test(text)) return Number(text);
  if (text.startsWith(":")) return text.slice(1);
  const vector = /^\[(.*)\]$/.exec(text);
  if (vector !== null) {
    const items = vector[1]!.trim();
    return items === "" ? [] : items.split(/\s+/).map((item) => parseValue(item, line));
  }
  throw new HistoryInputError(line, `cannot read the value ${JSON.stringify(text)}`);
}

/** Parses a Jepsen log; throws {@link HistoryInputError} naming the first bad line. */
export function parseJepsenLog(text: string): LocatedEvent[] {
  const events: LocatedEvent[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = i + 1;
    if (raw.trim() === "") continue;
    const match = linePattern.exec(raw);
    if (match === null) throw new HistoryInputError(line, "not a Jepsen operation line");
    const process = Number(match[1]);
    const f = match[3]!;
    let type = match[2] as EventType;
    let value = parseValue(match[4]!, line);
    if (type === "fail" && f === "cas") {
      type = "ok";
      value = false;
    } else if (type === "fail" && f === "read") {
      type = "info";
    }
    const event: HistoryEvent = { type, process, f, value, time: events.length };
    events.push({ event, line });
  }
  return events;
}
