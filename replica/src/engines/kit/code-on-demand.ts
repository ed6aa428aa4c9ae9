/**
 * An engine's code behind a dynamic import, for its descriptor (`EngineDescriptor.code`): the descriptor's
 * facts stay synchronous, and what needs the engine's library (`create`, `heads`, ...) asks `get()`,
 * which throws until `load()` has resolved. A bundler splits the import into a chunk of its own.
 */
import { type EngineCodeLoader, EngineCodeNotLoadedError } from '../../engine-descriptor.ts';

export class CodeOnDemand<Code> implements EngineCodeLoader {
  private code: Code | undefined;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly engine: string,
    private readonly importCode: () => Promise<Code>,
  ) {}

  get loaded(): boolean {
    return this.code !== undefined;
  }

  load(): Promise<void> {
    this.loading ??= this.importCode().then(
      (code) => {
        this.code = code;
      },
      (error: unknown) => {
        this.loading = undefined; // a chunk that failed to load (offline, a new build) may be retried
        throw error;
      },
    );
    return this.loading;
  }

  /** The loaded code; throws until `load()` has resolved. */
  get(): Code {
    if (this.code === undefined) throw new EngineCodeNotLoadedError(this.engine);
    return this.code;
  }

  /** The loaded code, or undefined before it has loaded. */
  peek(): Code | undefined {
    return this.code;
  }
}
