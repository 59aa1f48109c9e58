// The public face of the data structures: the CP machine every data partition hosts (maps, atomic
// longs, fenced locks), the AP structures over a Replicator (PN-counters, OR-sets), and the
// contracts the member runtime drives them through.

export { apApply, apKeyOf, apRead } from "./ap_structures.js";
export { CpStructures, createCpMachine, lockTtlMsMax } from "./cp_machine.js";
export type { ApplyContext, CpMachine, CpMachineFactory, MachineResult } from "./machine.js";
