export { silentLogger } from "./logger.js";
export type { Cancel, Clock } from "./clock.js";
export type { Disk } from "./disk.js";
export type { Environment } from "./environment.js";
export type { LogFields, Logger } from "./logger.js";
export type { FrameHandler, SendResult, Transport } from "./transport.js";
