// The production Logger over pino: one JSON object per line, the event name under "event", and the
// ids a child logger was given (node, group, peer) before the event's own fields, so that lines
// about one member sort and grep together.

import { type DestinationStream, type Logger as PinoInstance, pino } from "pino";
import type { LogFields, Logger } from "../../env/logger.js";

/** Levels, least to most severe. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** Options of {@link pinoLogger}. */
export interface PinoLoggerOptions {
  readonly level: LogLevel;
  /** Where lines go; standard output when absent. */
  readonly destination?: DestinationStream;
}

class PinoLogger implements Logger {
  constructor(private readonly instance: PinoInstance) {}

  debug(event: string, fields?: LogFields): void {
    this.instance.debug(fields ?? {}, event);
  }

  info(event: string, fields?: LogFields): void {
    this.instance.info(fields ?? {}, event);
  }

  warn(event: string, fields?: LogFields): void {
    this.instance.warn(fields ?? {}, event);
  }

  error(event: string, fields?: LogFields): void {
    this.instance.error(fields ?? {}, event);
  }

  child(fields: LogFields): Logger {
    return new PinoLogger(this.instance.child(fields));
  }
}

/** Creates a pino-backed Logger writing one event per line. */
export function pinoLogger(options: PinoLoggerOptions): Logger {
  const settings = {
    level: options.level,
    base: null,
    messageKey: "event",
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  const instance = options.destination === undefined ? pino(settings) : pino(settings, options.destination);
  return new PinoLogger(instance);
}
