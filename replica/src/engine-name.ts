/** The four engines every edit is applied to, in display order. */
export const ENGINE_NAMES = ['converge', 'yjs', 'automerge', 'lww'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

export function isEngineName(value: unknown): value is EngineName {
  return typeof value === 'string' && (ENGINE_NAMES as readonly string[]).includes(value);
}
