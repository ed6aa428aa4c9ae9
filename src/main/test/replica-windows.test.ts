import { describe, expect, it } from 'vitest';
import { ReplicaWindows } from '../replica-windows.ts';
import { WindowRegistry } from '../window-registry.ts';

interface FakeWindow {
  readonly id: number;
  readonly replicaId: string;
}

describe('ReplicaWindows', () => {
  it('opens one window per replica: asking again gets the open window, not a second writer', () => {
    const windows = new ReplicaWindows<FakeWindow>();
    const registry = new WindowRegistry();
    let next = 1;
    const request = (replicaId: string) =>
      windows.open(replicaId, () => {
        const window = { id: next++, replicaId };
        registry.register(window.id, replicaId);
        return window;
      });

    const first = request('alpha');
    expect(first.created).toBe(true);
    const again = request('alpha');
    expect(again).toEqual({ window: first.window, created: false });
    expect(request('beta').created).toBe(true);
    expect(windows.all().map((w) => w.replicaId)).toEqual(['alpha', 'beta']);
    // Every store call is bound to the one window of each replica.
    expect(registry.replicaFor(first.window.id)).toBe('alpha');
    expect(registry.openReplicas()).toEqual(['alpha', 'beta']);

    // A stale close (some other window) frees nothing; the real one does, and the replica opens again.
    windows.closed('alpha', { id: 99, replicaId: 'alpha' });
    expect(request('alpha').created).toBe(false);
    windows.closed('alpha', first.window);
    registry.unregister(first.window.id);
    const reopened = request('alpha');
    expect(reopened.created).toBe(true);
    expect(reopened.window).not.toBe(first.window);
    expect(windows.get('alpha')).toBe(reopened.window);
  });
});
