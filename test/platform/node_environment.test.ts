// Goal: nodeEnvironment builds a working production Environment (clock, disk in the data folder,
// a listening TCP transport, a logger) and releases its port on close; the pino logger writes one
// JSON event per line with a child's ids before the event's own fields. Method: build one in a
// temporary folder on 127.0.0.1 and exchange a frame with a second transport; capture log lines
// through a destination stream.

import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nodeEnvironment } from "../../src/platform/node/node_environment.js";
import { pinoLogger } from "../../src/platform/node/pino_logger.js";
import { startTransport, waitFor } from "./transport_harness.js";

describe("nodeEnvironment", () => {
  it("wires a clock, a disk in the data folder and a transport, and frees the port on close", async () => {
    const root = mkdtempSync(join(tmpdir(), "shoal-env-"));
    const env = await nodeEnvironment({
      host: "127.0.0.1",
      port: 0,
      clusterName: "test",
      secret: null,
      dataDirectory: root,
      seed: 5,
      logger: pinoLogger({ level: "silent" }),
      timersKeepAlive: false,
    });
    try {
      expect(env.seed).toBe(5);
      env.disk.write("probe/file", 0, Uint8Array.of(1, 2));
      env.disk.sync("probe/file");
      expect(env.disk.read("probe/file", 0, 2)).toEqual(Uint8Array.of(1, 2));
      const peer = await startTransport();
      const received: Uint8Array[] = [];
      peer.onFrame((_from, frame) => received.push(frame));
      env.transport.send(peer.localAddress, Uint8Array.of(9));
      await waitFor(() => received.length === 1, 5_000, "a frame from the environment's transport");
      await peer.closeAndWait();
    } finally {
      await env.close();
      rmSync(root, { recursive: true, force: true });
    }
    const port = Number(env.transport.localAddress.split(":")[1]);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("draws a random seed when none is given, a different one each time", async () => {
    const seeds: number[] = [];
    for (let i = 0; i < 2; i++) {
      const root = mkdtempSync(join(tmpdir(), "shoal-env-"));
      const env = await nodeEnvironment({
        host: "127.0.0.1",
        port: 0,
        clusterName: "test",
        secret: null,
        dataDirectory: root,
        logger: pinoLogger({ level: "silent" }),
        timersKeepAlive: false,
      });
      seeds.push(env.seed);
      await env.close();
      rmSync(root, { recursive: true, force: true });
    }
    for (const seed of seeds) expect(Number.isSafeInteger(seed) && seed >= 0).toBe(true);
    expect(seeds[0]).not.toBe(seeds[1]);
  });
});

describe("pinoLogger", () => {
  it("writes one JSON line per event, the child's ids before the event's fields", () => {
    const lines: string[] = [];
    const logger = pinoLogger({
      level: "debug",
      destination: { write: (line: string) => void lines.push(line) },
    });
    logger.child({ node: "n1" }).warn("transport.connection_closed", { peer: "n2", reason: "bad frame" });
    logger.debug("tick");
    expect(lines).toHaveLength(2);
    expect(lines.every((line) => line.endsWith("\n") && !line.slice(0, -1).includes("\n"))).toBe(true);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({
      level: "warn",
      node: "n1",
      peer: "n2",
      event: "transport.connection_closed",
    });
    const keys = Object.keys(first);
    expect(keys.indexOf("node")).toBeLessThan(keys.indexOf("peer"));
  });
});
