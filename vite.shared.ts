/**
 * Workspace packages (@converge/*) export their TypeScript sources under the `@converge/source` export
 * condition and their build output otherwise (crdt-core/README.md, "Inside this monorepo"). Every Vite
 * and Vitest config of the repository spreads this fragment so that they resolve the sources, with no
 * build step in development or tests. Vite replaces its default conditions when any are given, so they
 * are restated here.
 */
import { defaultClientConditions, defaultServerConditions, type UserConfig } from 'vite';

export const SOURCE_CONDITION = '@converge/source';

export const workspaceSources = {
  resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions] } },
} satisfies UserConfig;

/**
 * NODE_OPTIONS for Node processes that load workspace sources, such as the CLIs tests start with
 * `node --import tsx`: the caller's options plus the condition. (npm scripts and npx add it through
 * .npmrc; this covers Vitest started any other way, e.g. by an editor.)
 */
export function nodeOptionsWithSources(current = process.env.NODE_OPTIONS ?? ''): string {
  const flag = `--conditions=${SOURCE_CONDITION}`;
  return current.split(/\s+/).includes(flag) ? current : `${current} ${flag}`.trim();
}
