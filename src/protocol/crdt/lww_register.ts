// A last-writer-wins register ordered by hybrid logical clock, ties broken by replica id. The
// join keeps the write with the larger (timestamp, replica); the delta of a write is the
// register holding just that write. Writers stamp with their own Hlc, so a causally later write
// always carries a larger timestamp than the write it overwrote.

import { assert } from "../../lib/assert.js";
import type { ReplicaId } from "../../types.js";
import { compareHlc, type HlcTimestamp } from "../clock/hlc.js";
import { type ByteReader, type ByteWriter, CodecError, compareStrings } from "./codec.js";
import type { Crdt } from "./crdt.js";

/** One write: the value, its stamp, and the replica that wrote it. */
export interface LwwWrite {
  readonly value: string;
  readonly timestamp: HlcTimestamp;
  readonly replica: ReplicaId;
}

/** Orders two writes: timestamp first, then replica id. */
export function compareWrites(a: LwwWrite, b: LwwWrite): number {
  return compareHlc(a.timestamp, b.timestamp) || compareStrings(a.replica, b.replica);
}

/** A last-writer-wins register of a string. */
export class LWWRegister implements Crdt {
  readonly type = "lwwregister";

  constructor(private write: LwwWrite | null = null) {}

  get isBottom(): boolean {
    return this.write === null;
  }

  /** The current value, or null if never written. */
  value(): string | null {
    return this.write?.value ?? null;
  }

  /** The winning write, or null. */
  get latest(): LwwWrite | null {
    return this.write;
  }

  /** Returns the delta of writing `value` at `timestamp` from `replica`, without applying it. */
  setDelta(replica: ReplicaId, value: string, timestamp: HlcTimestamp): LWWRegister {
    return new LWWRegister({ value, timestamp, replica });
  }

  /** Writes `value` and returns the delta applied. */
  set(replica: ReplicaId, value: string, timestamp: HlcTimestamp): LWWRegister {
    const delta = this.setDelta(replica, value, timestamp);
    this.join(delta);
    return delta;
  }

  join(other: Crdt): boolean {
    assert(other instanceof LWWRegister, "LWWRegister joins only an LWWRegister");
    if (other.write === null) return false;
    if (this.write === null || compareWrites(other.write, this.write) > 0) {
      this.write = other.write;
      return true;
    }
    // Equal (timestamp, replica) means the same write: one replica never stamps two writes alike.
    if (compareWrites(other.write, this.write) === 0) {
      assert(other.write.value === this.write.value, "one stamp carries two different values");
    }
    return false;
  }

  clone(): LWWRegister {
    return new LWWRegister(this.write);
  }

  encodeBody(writer: ByteWriter): void {
    if (this.write === null) {
      writer.uint(0);
      return;
    }
    writer.uint(1);
    writer.string(this.write.value);
    writer.uint(this.write.timestamp.wallMs);
    writer.uint(this.write.timestamp.logical);
    writer.string(this.write.replica);
  }

  /** Reads a body written by {@link encodeBody}. */
  static decodeBody(reader: ByteReader): LWWRegister {
    const present = reader.uintAtMost(1, "register presence");
    if (present === 0) return new LWWRegister();
    const value = reader.string();
    const timestamp = { wallMs: reader.uint(), logical: reader.uint() };
    const replica = reader.string() as ReplicaId;
    if (replica.length === 0) throw new CodecError("register write without a replica");
    return new LWWRegister({ value, timestamp, replica });
  }

  describe(): string {
    if (this.write === null) return "lwwregister ⊥";
    const { value, timestamp, replica } = this.write;
    return `lwwregister ${JSON.stringify(value)} @${timestamp.wallMs}.${timestamp.logical}/${replica}`;
  }
}
