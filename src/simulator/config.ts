import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { readYamlFile, validateYamlDocument } from '../config/yaml-document.js';
import { faultConfigSchema } from './faults.js';
import { INSTANCE_NAME, type BrpSimulatorOptions } from './server.js';

/**
 * The simulator's YAML configuration (config/simulator.yaml). String values may use
 * `${VAR}` / `${VAR:-default}`; a relative `xsdPath` is resolved against the YAML file's folder.
 */

export const DEFAULT_SIMULATOR_CONFIG_PATH = 'config/simulator.yaml';
export const DEFAULT_SIMULATOR_PORT = 8089;

/** YAML reads `1001` as a number: product numbers are strings whatever they look like. */
const productNumber = z.union([z.string().min(1), z.number().int().nonnegative()]).transform(String);

const catalogueSchema = z
  .strictObject({
    businessUnits: z.array(z.strictObject({ id: z.number().int().positive(), name: z.string().min(1) })).min(1),
    products: z.array(
      z.strictObject({
        number: productNumber,
        name: z.string().min(1),
        type: z.string().min(1),
        vatRate: z.number().int().min(0).max(100),
        businessUnits: z.array(z.number().int().positive()).optional(),
      }),
    ),
  })
  .superRefine((c, ctx) => {
    const units = new Set<number>();
    c.businessUnits.forEach((bu, i) => {
      if (units.has(bu.id)) ctx.addIssue({ code: 'custom', path: ['businessUnits', i, 'id'], message: `duplicate business unit id ${bu.id}` });
      units.add(bu.id);
    });
    const numbers = new Set<string>();
    c.products.forEach((p, i) => {
      if (numbers.has(p.number)) ctx.addIssue({ code: 'custom', path: ['products', i, 'number'], message: `duplicate product number ${p.number}` });
      numbers.add(p.number);
      p.businessUnits?.forEach((id, j) => {
        if (!units.has(id)) ctx.addIssue({ code: 'custom', path: ['products', i, 'businessUnits', j], message: `unknown business unit ${id}` });
      });
    });
  });

export const simulatorConfigSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(DEFAULT_SIMULATOR_PORT),
  xsdPath: z.string().min(1),
  instances: z
    .record(
      z.string().regex(INSTANCE_NAME, 'instance names are letters, digits, - and _').refine((n) => n !== '_sim', 'reserved name'),
      z.strictObject({
        apiKey: z.string().min(1),
        renewAllowed: z.boolean().default(false),
        catalogue: catalogueSchema,
      }),
    )
    .refine((r) => Object.keys(r).length > 0, 'at least one instance'),
  faults: faultConfigSchema.nullish().transform((f) => f ?? {}),
});

export type SimulatorConfigFile = z.input<typeof simulatorConfigSchema>;

export function loadSimulatorConfig(path: string, env: NodeJS.ProcessEnv = process.env): BrpSimulatorOptions {
  return simulatorOptionsFromObject(readYamlFile(path), path, env);
}

/** The same as loadSimulatorConfig for an already parsed document; `source` is the file it came from. */
export function simulatorOptionsFromObject(raw: unknown, source: string, env: NodeJS.ProcessEnv = process.env): BrpSimulatorOptions {
  const c = validateYamlDocument(raw, source, env, simulatorConfigSchema);
  return {
    host: c.host,
    port: c.port,
    xsdPath: isAbsolute(c.xsdPath) ? c.xsdPath : resolve(dirname(resolve(source)), c.xsdPath),
    instances: c.instances,
    faults: c.faults,
  };
}
