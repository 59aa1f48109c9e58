// Measures TcpTransport round trips per second between two processes on 127.0.0.1: this process
// sends 64-byte frames to a spawned echo child (tcp_echo_child.ts) with 1 and with 16 frames in
// flight, for a fixed time each. The child is killed by PID at the end.
// Usage: npx tsx test/platform/tcp_bench.ts [secondsPerFigure]

import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { silentLogger } from "../../src/env/logger.js";
import { limitsDefault } from "../../src/limits.js";
import { NodeClock } from "../../src/platform/node/node_clock.js";
import { TcpTransport, tcpTransportConfigDefault } from "../../src/platform/node/tcp_transport.js";
import { type Address, address } from "../../src/types.js";

const secondsPerFigure = Number(process.argv[2] ?? 3);
const child = spawn(
  process.execPath,
  ["--import", "tsx", resolve(import.meta.dirname, "tcp_echo_child.ts")],
  {
    stdio: ["ignore", "pipe", "inherit"],
  },
);
try {
  const childAddress = await new Promise<Address>((done, fail) => {
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = /listening (\S+)\n/.exec(output);
      if (match !== null) done(address(match[1]!));
    });
    child.once("exit", (code) => fail(new Error(`child exited with ${code}`)));
  });
  const transport = await TcpTransport.listen({
    host: "127.0.0.1",
    port: 0,
    clusterName: "test",
    secret: null,
    limits: limitsDefault(),
    config: tcpTransportConfigDefault(),
    clock: new NodeClock({ timersKeepAlive: false }),
    logger: silentLogger,
    seed: 3,
  });
  for (const inFlight of [1, 16]) {
    const frame = new Uint8Array(64);
    const started = performance.now();
    const deadline = started + secondsPerFigure * 1000;
    let completed = 0;
    // Each echo that comes back before the deadline sends the next frame: `inFlight` stay out.
    transport.onFrame(() => {
      if (performance.now() >= deadline) return;
      completed += 1;
      transport.send(childAddress, frame);
    });
    for (let i = 0; i < inFlight; i++) transport.send(childAddress, frame);
    await new Promise<void>((done) => setTimeout(done, secondsPerFigure * 1000 + 100));
    const rate = Math.round(completed / secondsPerFigure).toLocaleString("en-US");
    console.log(`tcp round trips/s, 64 B frames, ${inFlight} in flight: ${rate}`);
  }
  await transport.closeAndWait();
} finally {
  if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGKILL");
}
