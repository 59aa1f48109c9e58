// Goal: the canonical encoding is canonical and safe. Equal states reached by different histories
// encode to equal bytes; malformed or non-canonical bytes decode to a "malformed" outcome, never an
// exception or a wrong state; causal contexts compact. Method: focused cases and a fast-check
// property that feeds random mutations of valid encodings to the decoder.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CausalContext, decodeCrdt, encodeCrdt, GCounter, ORSet } from "../../src/protocol/crdt/index.js";
import { replicaId } from "../../src/types.js";

const a = replicaId("a");
const b = replicaId("b");

describe("canonical encoding", () => {
  it("gives equal bytes for equal states reached in different orders", () => {
    const x = new ORSet();
    const y = new ORSet();
    const d1 = x.add(a, "p");
    const d2 = x.add(a, "q");
    const other = new ORSet();
    const d3 = other.add(b, "r");
    x.join(d3);
    y.join(d3);
    y.join(d2);
    y.join(d1);
    expect(encodeCrdt(y)).toEqual(encodeCrdt(x));
  });

  it("refuses truncated input, trailing bytes, unknown tags and unsorted entries", () => {
    const counter = new GCounter();
    counter.increment(b, 2);
    counter.increment(a, 1);
    const bytes = encodeCrdt(counter);
    expect(decodeCrdt(bytes.slice(0, bytes.length - 1)).kind).toBe("malformed");
    expect(decodeCrdt(new Uint8Array([...bytes, 0])).kind).toBe("malformed");
    expect(decodeCrdt(new Uint8Array([99, 0])).kind).toBe("malformed");
    // Entries b then a: the same counter, but not in canonical order.
    const unsorted = new Uint8Array([1, 2, 1, 98, 2, 1, 97, 1]);
    expect(decodeCrdt(unsorted).kind).toBe("malformed");
    expect(decodeCrdt(new Uint8Array([1, 2, 1, 97, 1, 1, 98, 2]))).toMatchObject({ kind: "ok" });
  });

  it("refuses a store dot the context has not seen", () => {
    const set = new ORSet();
    set.add(a, "p");
    const bytes = encodeCrdt(set);
    // The last bytes are the context: vector [a:1], empty cloud. Drop the vector entry.
    const broken = new Uint8Array([...bytes.slice(0, bytes.length - 5), 0, 0]);
    expect(decodeCrdt(broken)).toMatchObject({ kind: "malformed" });
  });

  it("never throws on random corruptions of valid encodings", () => {
    const set = new ORSet();
    for (let i = 0; i < 6; i++) set.add(i % 2 === 0 ? a : b, `e${i % 4}`);
    set.remove("e1");
    const valid = encodeCrdt(set);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.nat(255)), { minLength: 1, maxLength: 4 }),
        (edits) => {
          const bytes = valid.slice();
          for (const [index, value] of edits) bytes[index] = value;
          const result = decodeCrdt(bytes);
          if (result.kind === "malformed") return true;
          return encodeCrdt(result.value).every((byte, i) => byte === bytes[i]); // Accepted only if canonical.
        },
      ),
      { numRuns: 1_000 },
    );
  });
});

describe("causal context", () => {
  it("compacts cloud dots into the version vector as gaps close", () => {
    const context = new CausalContext();
    context.add({ replica: a, counter: 2 });
    context.add({ replica: a, counter: 3 });
    expect(context.cloudDotCount).toBe(2);
    expect(context.contains(a, 1)).toBe(false);
    context.add({ replica: a, counter: 1 });
    expect(context.cloudDotCount).toBe(0);
    expect(context.contiguous(a)).toBe(3);
    expect(context.next(a)).toEqual({ replica: a, counter: 4 });
  });

  it("mints dots past the cloud, so a dot is never reused", () => {
    const context = new CausalContext();
    context.add({ replica: a, counter: 5 });
    expect(context.next(a)).toEqual({ replica: a, counter: 6 });
  });
});
