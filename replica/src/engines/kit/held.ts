/**
 * What an engine holds (its document, observers, WebAssembly handles) until it is closed. Every read
 * after `release` throws EngineClosedError, so a closed engine refuses use instead of touching freed
 * memory, and it keeps no reference to what it held.
 */
import { EngineClosedError } from '../../engine-closed-error.ts';
import type { EngineName } from '../../engine-name.ts';

export class Held<T> {
  private current: T | undefined;
  private released = false;

  constructor(
    private readonly engine: EngineName,
    value: T,
  ) {
    this.current = value;
  }

  get isReleased(): boolean {
    return this.released;
  }

  get value(): T {
    if (this.released) throw new EngineClosedError(this.engine);
    return this.current as T;
  }

  set value(next: T) {
    if (this.released) throw new EngineClosedError(this.engine);
    this.current = next;
  }

  /** Let go of the value and hand it over one last time (to free it), or undefined if already released. */
  release(): T | undefined {
    if (this.released) return undefined;
    const last = this.current;
    this.released = true;
    this.current = undefined;
    return last;
  }
}
