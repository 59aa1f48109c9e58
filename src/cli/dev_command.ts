// `shoal dev` (what `npm start` runs): says plainly what exists today. It starts a local
// three-member cluster once the member runtime lands (issue 6).

import type { Command } from "commander";

/** Registers `shoal dev`. */
export function registerDevCommand(program: Command): void {
  program
    .command("dev")
    .description("run a local three-member cluster (what `npm start` runs)")
    .action(() => {
      process.stdout.write(
        [
          "Shoal is not yet a runnable cluster: the member runtime (TCP transport, WAL, multi-Raft host) is",
          "still being built. What works today:",
          "  npm run shoal -- check FILE --model MODEL   check a history for linearizability",
          "  npm run shoal -- sim --workload NAME --seeds A..B   run deterministic simulations",
          "See README.md for the state of each part.",
          "",
        ].join("\n"),
      );
    });
}
