// The public face of the checkers: linearizability against a model (Wing–Gong search with Lowe's
// memoisation, per-key partitions, unknown outcomes, a time budget), the models, the structural
// checkers (Jepsen's set, set-full, counter, unique-ids, total-queue), the history parsers, the
// reports, and the generator of histories for tests.

export { checkHistory, checkOptionsDefault } from "./checker.js";
export { generateHistory, generateSeededHistory, generatedOperationsMax } from "./generator.js";
export { generatedModels } from "./generator_workloads.js";
export { historyToJsonl } from "./history.js";
export { formatFromFileName, historyFormats, parseEvents, parseHistory } from "./history_format.js";
export { renderHtml } from "./html_report.js";
export { searchLinearization } from "./linearizability.js";
export { hashScalar, isScalar, showScalar } from "./model.js";
export {
  casRegisterModel,
  counterModel,
  fencedMutexModel,
  fifoQueueModel,
  kvModel,
  modelByName,
  modelNames,
  registerModel,
  semaphoreModel,
} from "./models/index.js";
export { HistoryInputError, pairEvents } from "./operation.js";
export { parseEdnHistory } from "./parse_edn.js";
export { parseJepsenLog } from "./parse_jepsen_log.js";
export { parseJsonlHistory } from "./parse_jsonl.js";
export { failureText, verdictLine } from "./report.js";
export {
  checkCounterBounds,
  checkSet,
  checkSetFull,
  checkTotalQueue,
  checkUniqueIds,
  structuralCheckers,
} from "./structural/index.js";
export { injectViolation, violationKinds, violationsByModel } from "./violations.js";

export type { CheckOptions, CheckResult, Failure, FailureOperation, Verdict } from "./checker.js";
export type { GenerateOptions, HistoryShape } from "./generator.js";
export type { GeneratedModel } from "./generator_workloads.js";
export type { EventType, HistoryEvent } from "./history.js";
export type { HistoryFormat } from "./history_format.js";
export type { SearchDeadline, SearchOperation, SearchResult } from "./linearizability.js";
export type { AnyModel, Model, Prepared } from "./model.js";
export type {
  CounterOperation,
  ModelOptions,
  MutexOperation,
  MutexState,
  QueueOperation,
  RegisterOperation,
  SemaphoreOperation,
  SemaphoreState,
} from "./models/index.js";
export type { HistoryOperation, LocatedEvent, Outcome } from "./operation.js";
export type { StructuralResult } from "./structural/index.js";
export type { ViolationKind } from "./violations.js";
