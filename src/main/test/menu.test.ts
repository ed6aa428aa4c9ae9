import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import { buildMenuTemplate, MAX_REOPEN_ITEMS, type MenuOptions } from '../menu.ts';

function items(menu: MenuItemConstructorOptions | undefined): MenuItemConstructorOptions[] {
  const sub = menu?.submenu;
  return Array.isArray(sub) ? sub : [];
}
function find(template: MenuItemConstructorOptions[], label: string): MenuItemConstructorOptions | undefined {
  return template.find((m) => m.label === label);
}

describe('application menu', () => {
  const calls: string[] = [];
  const base: MenuOptions = {
    platform: 'linux',
    dev: false,
    appName: 'Converge',
    closedReplicas: ['old-1', 'old-2'],
    actions: {
      newReplicaWindow: () => calls.push('new'),
      reopenReplica: (id) => calls.push(`reopen ${id}`),
      editHistory: (op) => calls.push(op),
    },
  };

  it('hands Edit > Undo and Redo to the page (the replica undoes, not the text field)', () => {
    for (const platform of ['linux', 'darwin'] as const) {
      const edit = items(find(buildMenuTemplate({ ...base, platform }), 'Edit'));
      const [undo, redo] = edit;
      expect([undo?.label, undo?.accelerator, redo?.label]).toEqual(['Undo', 'CmdOrCtrl+Z', 'Redo']);
      expect(redo?.accelerator).toBe(platform === 'darwin' ? 'Shift+CmdOrCtrl+Z' : 'CmdOrCtrl+Y');
      expect(edit.map((i) => i.role).filter(Boolean)).toEqual(['cut', 'copy', 'paste', 'selectAll']);
      calls.length = 0;
      (undo!.click as () => void)();
      (redo!.click as () => void)();
      expect(calls).toEqual(['undo', 'redo']);
    }
    calls.length = 0;
  });

  it('has File > New Replica Window, Reopen Replica, Close and Quit', () => {
    const file = items(find(buildMenuTemplate(base), 'File'));
    const labels = file.map((i) => i.label ?? i.type);
    expect(labels).toEqual([
      'New Replica Window',
      'Reopen Replica',
      'separator',
      'Close Window',
      'separator',
      'Quit',
    ]);
    const newWindow = file[0]!;
    expect(newWindow.accelerator).toBe('CmdOrCtrl+N');
    (newWindow.click as () => void)();
    const reopen = items(file[1]);
    expect(reopen.map((i) => i.label)).toEqual(['old-1', 'old-2']);
    (reopen[1]!.click as () => void)();
    expect(calls).toEqual(['new', 'reopen old-2']);
    expect(file.find((i) => i.label === 'Close Window')?.role).toBe('close');
    expect(file.find((i) => i.label === 'Quit')?.role).toBe('quit');
  });

  it('offers developer tools only in development', () => {
    const roles = (dev: boolean) =>
      items(find(buildMenuTemplate({ ...base, dev }), 'View')).map((i) => i.role);
    expect(roles(false)).not.toContain('toggleDevTools');
    expect(roles(true)).toContain('toggleDevTools');
  });

  it('disables Reopen Replica when nothing is closed and caps its length', () => {
    const none = items(find(buildMenuTemplate({ ...base, closedReplicas: [] }), 'File'));
    expect(none[1]?.enabled).toBe(false);
    const many = Array.from({ length: 50 }, (_, i) => `r${i}`);
    const capped = items(find(buildMenuTemplate({ ...base, closedReplicas: many }), 'File'));
    expect(items(capped[1])).toHaveLength(MAX_REOPEN_ITEMS);
  });

  it('puts Quit in the app menu on macOS', () => {
    const template = buildMenuTemplate({ ...base, platform: 'darwin' });
    expect(template[0]?.label).toBe('Converge');
    expect(items(template[0]).some((i) => i.role === 'quit')).toBe(true);
    expect(items(find(template, 'File')).some((i) => i.role === 'quit')).toBe(false);
  });
});
