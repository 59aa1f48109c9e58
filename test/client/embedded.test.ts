// Goal: `startMember` runs a real member in this process and returns the same API as `connect`,
// and `close()` stops the member; started again on the same folder it resumes with its data.
// Method: a one-member cluster on free 127.0.0.1 ports and a temporary folder; operations through
// the returned Shoal; close, restart, read back.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startMember } from "../../src/index.js";
import { freePort } from "../support/processes.js";

describe("startMember", () => {
  it("serves the API in-process, and resumes with its data after close and restart", async () => {
    const data = mkdtempSync(join(tmpdir(), "shoal-embedded-"));
    const options = {
      name: "solo",
      listen: `127.0.0.1:${await freePort()}`,
      admin: `127.0.0.1:${await freePort()}`,
      data,
      partitions: 4,
      timeoutMs: 15_000,
      logLevel: "error" as const,
    };
    try {
      const first = await startMember(options);
      try {
        await first.map<{ n: number }>("m").put("k", { n: 1 });
        expect(await first.map<{ n: number }>("m").get("k")).toEqual({ n: 1 });
        expect(await first.atomicLong("seq").addAndGet(7)).toBe(7);
        expect(await first.counter("c").increment(3)).toBe(3);
        const lease = await first.lock("l").acquire({ ttlMs: 5_000 });
        expect(lease.fence).toBeGreaterThan(0);
        expect(await lease.release()).toBe(true);
        expect(first.member.member.status().nodeId).toBe("solo");
      } finally {
        await first.close();
      }
      const second = await startMember(options);
      try {
        expect(await second.map<{ n: number }>("m").get("k")).toEqual({ n: 1 });
        expect(await second.atomicLong("seq").get()).toBe(7);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  }, 60_000);
});
