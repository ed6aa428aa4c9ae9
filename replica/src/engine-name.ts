/**
 * An engine's name: the stable id its descriptor declares (`engines/index.ts` lists them), stored with
 * its data and written into scenario files and reports.
 */
export type EngineName = string;

const ENGINE_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** Whether a value can be an engine name (whether such an engine is registered is the registry's question). */
export function isEngineName(value: unknown): value is EngineName {
  return typeof value === 'string' && ENGINE_NAME.test(value);
}
