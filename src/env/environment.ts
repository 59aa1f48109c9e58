import type { Clock } from "./clock.js";
import type { Disk } from "./disk.js";
import type { Logger } from "./logger.js";
import type { Transport } from "./transport.js";

/**
 * Everything the runtime may take from the world, injected (DESIGN.md rule 2). Production binds it
 * to Node (platform/node), tests and `shoal sim` to the simulator (sim/). Randomness is a seed:
 * each core derives its own stream with `Prng.derive(seed, name)`.
 */
export interface Environment {
  readonly clock: Clock;
  readonly seed: number;
  readonly transport: Transport;
  readonly disk: Disk;
  readonly logger: Logger;
}
