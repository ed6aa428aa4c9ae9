import { describe, expect, it } from 'vitest';
import { outsidePresence } from '../src/interop/outside-presence.ts';

const client = (state: unknown, protocol = 'yjs', id = '7') => ({
  protocol,
  replica: 'app@yjs.x',
  client: id,
  state,
});

describe('outside clients as presence', () => {
  it('takes the name and colour an app publishes in its awareness', () => {
    expect(outsidePresence([client({ user: { name: '  Ada  Lovelace ', color: '#30BCED' } })])).toEqual({
      name: 'Ada Lovelace',
      colour: '#30bced',
      panel: 'y-websocket',
      caret: null,
    });
    expect(outsidePresence([client({ user: { name: 'x'.repeat(80), colour: '#AbC' } })])).toMatchObject({
      name: 'x'.repeat(40),
      colour: '#aabbcc',
    });
  });

  it('names a client that publishes nothing (or garbage) after its protocol and id', () => {
    const named = outsidePresence([client(null, 'automerge', 'peer-1')]);
    expect(named).toMatchObject({ name: 'Automerge client peer-1', panel: 'automerge-repo' });
    expect(named?.colour).toMatch(/^#[0-9a-f]{6}$/);
    expect(outsidePresence([client({ user: { name: 42, color: 'red' } })])).toMatchObject({
      name: 'Yjs client 7',
    });
    expect(
      outsidePresence([client({ user: 'Ada' }), client({ user: { name: 'Bo' } }, 'yjs', '8')])?.name,
    ).toBe('Bo');
    expect(outsidePresence([])).toBeUndefined();
  });
});
