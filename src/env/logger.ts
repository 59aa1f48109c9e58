/** Structured fields of one log event; ids first by convention (STYLE.md rule 25). */
export type LogFields = Readonly<Record<string, unknown>>;

/** A per-instance logger: one event per line, never global. */
export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** Returns a logger that adds `fields` to every event. */
  child(fields: LogFields): Logger;
}

/** A logger that discards everything. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
