// Reads Jepsen histories in EDN, one map per line (as in peer-histories/kv):
//
//     {:process 0, :type :invoke, :f :append, :key "4", :value "x 0 1 y"}
//
// A small reader for the EDN subset histories use: maps, vectors, lists, sets (read as arrays),
// strings, keywords (read as their name), integers, floats, nil, true and false. Keys other than
// :process, :type, :f, :key, :value and :time are ignored. `:process :nemesis` lines are skipped.

import type { EventType, HistoryEvent } from "./history.js";
import { HistoryInputError, type LocatedEvent } from "./operation.js";

/** Nesting depth the reader accepts, so hostile input cannot overflow the stack. */
const ednDepthMax = 64;

class EdnReader {
  private position = 0;

  constructor(
    private readonly text: string,
    private readonly line: number,
  ) {}

  fail(reason: string): never {
    throw new HistoryInputError(this.line, `${reason} at column ${this.position + 1}`);
  }

  skipSpace(): void {
    while (this.position < this.text.length && /[\s,]/.test(this.text[this.position]!)) this.position += 1;
  }

  atEnd(): boolean {
    this.skipSpace();
    return this.position >= this.text.length;
  }

  read(depth: number): unknown {
    if (depth > ednDepthMax) this.fail("nesting too deep");
    this.skipSpace();
    const c = this.text[this.position];
    if (c === undefined) return this.fail("unexpected end of line");
    if (c === "{") return this.readMap(depth);
    if (c === "[" || c === "(") return this.readSequence(c === "[" ? "]" : ")", depth);
    if (c === "#" && this.text[this.position + 1] === "{") {
      this.position += 1;
      return this.readSequence("}", depth);
    }
    if (c === '"') return this.readString();
    return this.readAtom();
  }

  private readMap(depth: number): Map<unknown, unknown> {
    this.position += 1;
    const map = new Map<unknown, unknown>();
    for (;;) {
      this.skipSpace();
      if (this.text[this.position] === "}") {
        this.position += 1;
        return map;
      }
      const key = this.read(depth + 1);
      map.set(key, this.read(depth + 1));
    }
  }

  private readSequence(close: string, depth: number): unknown[] {
    this.position += 1;
    const items: unknown[] = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.position] === close) {
        this.position += 1;
        return items;
      }
      items.push(this.read(depth + 1));
    }
  }

  private readString(): string {
    const start = this.position;
    this.position += 1;
    while (this.position < this.text.length && this.text[this.position] !== '"') {
      this.position += this.text[this.position] === "\\" ? 2 : 1;
    }
    if (this.position >= this.text.length) this.fail("unterminated string");
    this.position += 1;
    try {
      return JSON.parse(this.text.slice(start, this.position)) as string;
    } catch {
      return this.fail("bad string escape");
    }
  }

  private readAtom(): unknown {
    const match = /^[^\s,{}[\]()"]+/.exec(this.text.slice(this.position));
    if (match === null) return this.fail(`unexpected ${JSON.stringify(this.text[this.position])}`);
    const token = match[0];
    this.position += token.length;
    if (token === "nil") return null;
    if (token === "true" || token === "false") return token === "true";
    if (token.startsWith(":")) return token.slice(1);
    if (/^-?\d+N?$/.test(token)) return Number(token.replace(/N$/, ""));
    if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?M?$/.test(token)) return Number(token.replace(/M$/, ""));
    return this.fail(`cannot read ${JSON.stringify(token)}`);
  }
}

const eventTypes: readonly string[] = ["invoke", "ok", "fail", "info"];

function toEvent(map: Map<unknown, unknown>, line: number, time: number): HistoryEvent | null {
  const process = map.get("process");
  if (process === "nemesis") return null;
  if (!Number.isSafeInteger(process)) throw new HistoryInputError(line, ":process must be an integer");
  const type = map.get("type");
  if (typeof type !== "string" || !eventTypes.includes(type)) {
    throw new HistoryInputError(line, ":type must be one of :invoke :ok :fail :info");
  }
  const f = map.get("f");
  if (typeof f !== "string") throw new HistoryInputError(line, ":f must be a keyword");
  const key = map.get("key");
  if (key !== undefined && key !== null && typeof key !== "string" && typeof key !== "number") {
    throw new HistoryInputError(line, ":key must be a string or a number");
  }
  const value = map.get("value");
  const base = { type: type as EventType, process: process as number, f, value: value ?? null, time };
  return key === undefined || key === null ? base : { ...base, key: String(key) };
}

/** Parses an EDN history; throws {@link HistoryInputError} naming the first bad line. */
export function parseEdnHistory(text: string): LocatedEvent[] {
  const events: LocatedEvent[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === "") continue;
    const reader = new EdnReader(raw, i + 1);
    const value = reader.read(0);
    if (!(value instanceof Map)) throw new HistoryInputError(i + 1, "expected a map {...}");
    if (!reader.atEnd()) reader.fail("unexpected text after the map");
    const event = toEvent(value, i + 1, events.length);
    if (event !== null) events.push({ event, line: i + 1 });
  }
  return events;
}
