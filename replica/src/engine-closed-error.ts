import type { EngineName } from './engine-name.ts';

/** Thrown by every method of an engine (and its sync sessions' senders) after `Engine.close()`. */
export class EngineClosedError extends Error {
  override readonly name = 'EngineClosedError';

  constructor(readonly engine: EngineName) {
    super(`the ${engine} engine is closed; open a new one`);
  }
}
