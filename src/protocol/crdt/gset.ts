// A grow-only set: join is union. The delta of an add is the singleton set.

import { assert } from "../../lib/assert.js";
import { type ByteReader, type ByteWriter, CodecError, compareStrings } from "./codec.js";
import type { Crdt } from "./crdt.js";
import { STORE_ENTRIES_MAX } from "./dot_store.js";

/** A grow-only set of strings. */
export class GSet implements Crdt {
  readonly type = "gset";
  private readonly items = new Set<string>();

  get isBottom(): boolean {
    return this.items.size === 0;
  }

  /** Whether `element` was ever added. */
  has(element: string): boolean {
    return this.items.has(element);
  }

  /** The elements, sorted. */
  elements(): string[] {
    return [...this.items].sort(compareStrings);
  }

  /** Returns the delta of adding `element`, without applying it. */
  addDelta(element: string): GSet {
    const delta = new GSet();
    delta.items.add(element);
    return delta;
  }

  /** Adds `element` and returns the delta applied. */
  add(element: string): GSet {
    const delta = this.addDelta(element);
    this.join(delta);
    return delta;
  }

  join(other: Crdt): boolean {
    assert(other instanceof GSet, "GSet joins only a GSet");
    const before = this.items.size;
    for (const element of other.items) this.items.add(element);
    return this.items.size !== before;
  }

  clone(): GSet {
    const copy = new GSet();
    for (const element of this.items) copy.items.add(element);
    return copy;
  }

  encodeBody(writer: ByteWriter): void {
    const elements = this.elements();
    writer.uint(elements.length);
    for (const element of elements) writer.string(element);
  }

  /** Reads a body written by {@link encodeBody}. */
  static decodeBody(reader: ByteReader): GSet {
    const set = new GSet();
    const count = reader.uintAtMost(Math.min(STORE_ENTRIES_MAX, reader.remaining), "set elements");
    let previous: string | null = null;
    for (let i = 0; i < count; i++) {
      const element = reader.string();
      if (previous !== null && compareStrings(previous, element) >= 0) throw new CodecError("unsorted set");
      set.items.add(element);
      previous = element;
    }
    return set;
  }

  describe(): string {
    return `gset {${this.elements().slice(0, 8).join(",")}}${this.items.size > 8 ? "…" : ""}`;
  }
}
