/** The four engines every edit is applied to, in display order. */
export const ENGINE_NAMES = ['converge', 'yjs', 'automerge', 'lww'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

export function isEngineName(value: unknown): value is EngineName {
  return typeof value === 'string' && (ENGINE_NAMES as readonly string[]).includes(value);
}

/** The engine's channel on the wire: its index in ENGINE_NAMES (stable: engines are only ever appended). */
export function engineChannel(engine: EngineName): number {
  return ENGINE_NAMES.indexOf(engine);
}

/** The engine a channel stands for, if any. */
export function engineOnChannel(channel: number): EngineName | undefined {
  return ENGINE_NAMES[channel];
}
