/**
 * The BRP simulator: BRP's partner-order web service (create{portal}order), faithful to the
 * documentation, with fault injection, for sandbox, demo, tests and benchmarks.
 */
export { startBrpSimulator, summariseFaults } from './server.js';
export type { BrpSimulator, BrpSimulatorOptions, SimStats, SimOutcome } from './server.js';
export type { BrpSimulatorInstanceOptions } from './instance.js';
export { CatalogueIndex } from './catalogue.js';
export type { Catalogue, CatalogueBusinessUnit, CatalogueProduct } from './catalogue.js';
export { FAULT_ACTIONS, FaultInjector, faultConfigSchema, DEFAULT_HANG_MS, DEFAULT_RETRY_AFTER_SECONDS } from './faults.js';
export type { FaultAction, FaultConfig, FaultDecision, FaultSource } from './faults.js';
export { SIM_ERRORS, errorsXml } from './error-codes.js';
export type { SimErrorName } from './error-codes.js';
export type { SimOrderRecord, SimOrderFilter, SimDelivery } from './order-record.js';
export { ocrNumber, isValidOcr } from './numbering.js';
export { vatPartOfInclusive, summariseVat } from './vat.js';
export { invoiceMark, PORTAL_DISPLAY_NAMES } from './confirmation.js';
export {
  loadSimulatorConfig,
  simulatorOptionsFromObject,
  simulatorConfigSchema,
  DEFAULT_SIMULATOR_CONFIG_PATH,
  DEFAULT_SIMULATOR_PORT,
} from './config.js';
export { runSimulatorFromCli } from './cli.js';
export type { SimulatorCliFlags } from './cli.js';
