/**
 * Simulators of the pull portals (Wellnet, Epassi): their APIs as the daemon sees them, with fault
 * injection, for tests and the demo.
 */
export { startWellnetSimulator, encodeWellnetCursor } from './wellnet-simulator.js';
export type {
  WellnetSimulator,
  WellnetSimulatorOptions,
  WellnetSimulatorStats,
  WellnetSimOrder,
  WellnetDelivery,
  WellnetDeliveryBody,
  WellnetPollRecord,
} from './wellnet-simulator.js';
export { startEpassiSimulator } from './epassi-simulator.js';
export type {
  EpassiSimulator,
  EpassiSimulatorOptions,
  EpassiSimulatorStats,
  EpassiSimPurchase,
  EpassiMark,
  EpassiMarkBody,
  EpassiPollRecord,
} from './epassi-simulator.js';
export { PortalFaults, PORTAL_FAULT_ACTIONS } from './portal-faults.js';
export type { PortalFaultAction, PortalFaultConfig, PortalRoute } from './portal-faults.js';
