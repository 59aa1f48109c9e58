// The public face of the simulator (DESIGN.md: only tests and `shoal sim` pick sim/). The workload
// registry (workloads.ts) is left out on purpose: workloads import the simulator, so re-exporting
// the registry here would make an import cycle of every workload that imports this file.

export { SimCluster, SimEnvironment, simClusterNodesMax } from "./cluster.js";
export {
  FaultProfile,
  clockRateDeviationMaxLimit,
  faultNames,
  isFaultName,
  parseFaultList,
  partitionModes,
  partitionSymmetries,
} from "./fault_profile.js";
export { HistoryRecorder, historyEventsMax } from "./history_recorder.js";
export { Nemesis, partitionLinks } from "./nemesis.js";
export { SimNetwork, linkFaultsNone } from "./network.js";
export { SimScheduler } from "./scheduler.js";
export { runSeedsInWorkers, seedPoolJobsMax } from "./seed_pool.js";
export { determinismCheckEvery, runSeedOfRange, runSeedOnce } from "./seed_runner.js";
export { SimClock, simClockSkewNone, simEpochMs, simClockTimersMax } from "./sim_clock.js";
export { SimDisk, simDiskFaultsDefault, simDiskFileBytesMax, simDiskUnsyncedOpsMax } from "./sim_disk.js";
export { SimLogger, formatLogFields, simLogLevels } from "./sim_logger.js";
export { SimTransport, simTransportFrameBytesMax, simTransportPausedFramesMax } from "./sim_transport.js";
export { Trace } from "./trace.js";
export type {
  Process,
  ProcessFactory,
  SimClusterOptions,
  SimClusterStats,
  SimNodeOptions,
} from "./cluster.js";
export type { FaultName, PartitionMode, PartitionSymmetry } from "./fault_profile.js";
export type { OpenOperation } from "./history_recorder.js";
export type { NemesisOptions, NemesisStats } from "./nemesis.js";
export type { LinkFaults, NetworkStats, SimNetworkOptions } from "./network.js";
export type { EventId } from "./scheduler.js";
export type { SeedOutcome, SeedRunPlan } from "./seed_runner.js";
export type { SimClockSkew } from "./sim_clock.js";
export type { SimDiskCrashReport, SimDiskFaults, SimDiskStats } from "./sim_disk.js";
export type { SimLogLevel } from "./sim_logger.js";
export type { SimTransportStats } from "./sim_transport.js";
export type { Workload, WorkloadResult, WorkloadRunOptions } from "./workload.js";
