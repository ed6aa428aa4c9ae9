import { describe, expect, it } from 'vitest';
import { WindowRegistry } from '../window-registry.ts';

describe('WindowRegistry', () => {
  it('maps windows to replicas, one window per replica', () => {
    const r = new WindowRegistry();
    r.register(1, 'alpha');
    r.register(2, 'beta');
    expect(r.replicaFor(1)).toBe('alpha');
    expect(r.replicaFor(3)).toBeUndefined();
    expect(() => r.register(3, 'alpha')).toThrow(/already has a window/);
    expect(() => r.register(1, 'gamma')).toThrow(/already hosts replica alpha/);
    expect(r.openReplicas()).toEqual(['alpha', 'beta']);
    expect(r.unregister(1)).toBe('alpha');
    expect(r.unregister(1)).toBeUndefined();
    expect(r.hasReplica('alpha')).toBe(false);
    r.register(3, 'alpha');
    expect(r.replicaFor(3)).toBe('alpha');
  });
});
