// Goal: the admin endpoint serves liveness, readiness, Prometheus metrics, the status JSON and the
// dashboard, from a live member. Method: a one-member cluster runs on the simulator (virtual time
// advanced by the test), its AdminServer listens on 127.0.0.1 port 0, and the test fetches each
// route before and after the member is ready and after it stopped.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminServer, type AdminStatus, MemberMetrics } from "../../src/admin/index.js";
import { silentLogger } from "../../src/env/logger.js";
import { Member, memberOptionsDefault } from "../../src/runtime/index.js";
import { SimCluster, Trace } from "../../src/sim/index.js";
import { nodeId } from "../../src/types.js";
import { createTestMachine } from "../fixtures/test_machine.js";

let cluster: SimCluster<Member>;
let admin: AdminServer;
let member: Member;

describe("AdminServer", () => {
  beforeAll(async () => {
    cluster = new SimCluster<Member>({ seed: 5, trace: new Trace() });
    const metrics = new MemberMetrics("solo");
    member = cluster.addNode("solo", (environment) => {
      const base = memberOptionsDefault(nodeId("solo"), createTestMachine);
      const created = new Member(environment, {
        ...base,
        partitionCount: 4,
        hooks: metrics.hooks,
        wal: {
          ...base.wal,
          segmentBytes: 256 * 1024,
          bufferBytesMax: 64 * 1024,
          recordPayloadBytesMax: 64 * 1024,
        },
      });
      created.start();
      return created;
    });
    metrics.bind(() => member.status());
    admin = await AdminServer.listen({
      host: "127.0.0.1",
      port: 0,
      source: member,
      metrics,
      logger: silentLogger,
    });
  });

  afterAll(async () => {
    await admin.close();
  });

  it("answers /healthz at once and /readyz only once every group has a leader", async () => {
    expect((await fetch(`http://${admin.address}/healthz`)).status).toBe(200);
    expect((await fetch(`http://${admin.address}/readyz`)).status).toBe(503);
    expect(cluster.scheduler.runUntilCondition(() => member.status().ready, 10_000)).toBe(true);
    const ready = await fetch(`http://${admin.address}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, formed: true });
  });

  it("serves the status JSON with groups, members and process figures", async () => {
    const status = (await (await fetch(`http://${admin.address}/api/status`)).json()) as AdminStatus;
    expect(status.nodeId).toBe("solo");
    expect(status.groups.map((g) => g.group)).toEqual([0, 1, 2, 3, 4]);
    expect(status.groups.every((g) => g.leader === "solo" && g.role === "leader")).toBe(true);
    expect(status.members).toEqual([
      { nodeId: "solo", address: "solo", adminAddress: "", state: "self", silentMs: null },
    ]);
    expect(status.process.rssBytes).toBeGreaterThan(0);
  });

  it("serves Prometheus metrics with per-group gauges and WAL histograms", async () => {
    const response = await fetch(`http://${admin.address}/metrics`);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    expect(text).toMatch(/shoal_raft_term\{group="3",node="solo"\} [1-9]/);
    expect(text).toMatch(/shoal_raft_is_leader\{group="0",node="solo"\} 1/);
    expect(text).toMatch(/shoal_wal_fsync_duration_seconds_count\{node="solo"\} [1-9]/);
    expect(text).toContain('shoal_member_state{peer="solo",state="self",node="solo"} 1');
  });

  it("serves the dashboard, 404 for unknown paths, 405 for other methods", async () => {
    const page = await fetch(`http://${admin.address}/`);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain("/api/status");
    expect((await fetch(`http://${admin.address}/nope`)).status).toBe(404);
    expect((await fetch(`http://${admin.address}/healthz`, { method: "POST" })).status).toBe(405);
  });

  it("reports not healthy once the member stopped", async () => {
    member.stop();
    expect((await fetch(`http://${admin.address}/healthz`)).status).toBe(503);
  });
});
