#!/usr/bin/env node
// The `shoal` command line. Each command lives in its own file and registers itself here.

import { Command } from "commander";
import { registerCheckCommand } from "./check_command.js";
import { registerClientCommands } from "./client_commands.js";
import { registerDevCommand } from "./dev_command.js";
import { registerSimCommand } from "./sim_command.js";
import { registerStartCommand, structuresMachineFactory } from "./start_command.js";
import { registerStatusCommand } from "./status_command.js";

const program = new Command();
program
  .name("shoal")
  .description("Shoal: replicated data structures for Node.js (CP through Raft, AP as CRDTs)")
  .version("0.1.0");

registerDevCommand(program);
registerCheckCommand(program);
registerSimCommand(program);
registerStartCommand(program, structuresMachineFactory);
registerStatusCommand(program);
registerClientCommands(program);

await program.parseAsync(process.argv);
