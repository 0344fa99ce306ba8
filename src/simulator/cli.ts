import type { Logger } from 'pino';
import { logEvent } from '../observability/log-event.js';
import { createLogger } from '../observability/logger.js';
import { DEFAULT_SIMULATOR_CONFIG_PATH, loadSimulatorConfig } from './config.js';
import type { FaultConfig } from './faults.js';
import { startBrpSimulator, summariseFaults, type BrpSimulator } from './server.js';

export type SimulatorCliFlags = Partial<FaultConfig> & { port?: number };

/**
 * `partnerd simulate-brp`: starts the simulator from its YAML file, with command-line flags
 * overriding the file's faults (and port). Logs the URL and each instance's BaseURL (never an
 * API key) and closes on SIGTERM/SIGINT. Resolves once it is listening.
 */
export async function runSimulatorFromCli(
  configPath: string = DEFAULT_SIMULATOR_CONFIG_PATH,
  flags: SimulatorCliFlags = {},
  // The simulator's config has no log section: LOG_LEVEL alone sets its level.
  logger: Logger = createLogger({ level: process.env.LOG_LEVEL || 'info', base: { service: 'partnerd-brp-simulator' } }),
): Promise<BrpSimulator> {
  const options = loadSimulatorConfig(configPath);
  const { port, ...faultFlags } = flags;
  const defined = Object.fromEntries(Object.entries(faultFlags).filter(([, v]) => v !== undefined)) as Partial<FaultConfig>;
  const sim = await startBrpSimulator({
    ...options,
    ...(port !== undefined ? { port } : {}),
    faults: { ...options.faults, ...defined },
    logger,
  });
  const instances = Object.keys(options.instances);
  logEvent(logger, 'simulator.listening', {
    url: sim.url,
    baseUrls: Object.fromEntries(instances.map((i) => [i, sim.baseUrl(i)])),
    faults: summariseFaults(sim.faults()),
    config: configPath,
  });

  const stop = (signal: NodeJS.Signals) => {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    logEvent(logger, 'simulator.stopping', { signal });
    sim.close().then(
      () => logEvent(logger, 'simulator.stopped', {}),
      (err: unknown) => {
        logEvent(logger, 'simulator.close_failed', { err });
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const close = sim.close.bind(sim);
  return {
    ...sim,
    close: async () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      await close();
    },
  };
}
