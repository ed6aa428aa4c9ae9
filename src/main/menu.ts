/**
 * The application menu as a template (plain data + injected actions); index.ts hands it to
 * Menu.buildFromTemplate. Developer tools are offered only in development.
 */
import type { MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  newReplicaWindow(): void;
  /** Reopen a replica whose window was closed (its data stayed on disk). */
  reopenReplica(replicaId: string): void;
  /**
   * Undo / redo in the focused window: the window's own edits in every engine (its replica's undo), not
   * the text field's — the menu owns Ctrl/Cmd+Z, so it must hand them to the page.
   */
  editHistory(op: 'undo' | 'redo'): void;
}

export interface MenuOptions {
  readonly platform: NodeJS.Platform;
  readonly dev: boolean;
  readonly appName: string;
  /** Replicas with data on disk but no open window, newest choice last. */
  readonly closedReplicas: readonly string[];
  readonly actions: MenuActions;
}

/** At most this many replicas are listed under File > Reopen Replica. */
export const MAX_REOPEN_ITEMS = 20;

export function buildMenuTemplate(options: MenuOptions): MenuItemConstructorOptions[] {
  const mac = options.platform === 'darwin';
  const reopen = options.closedReplicas.slice(0, MAX_REOPEN_ITEMS);
  const file: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      {
        label: 'New Replica Window',
        accelerator: 'CmdOrCtrl+N',
        click: () => options.actions.newReplicaWindow(),
      },
      {
        label: 'Reopen Replica',
        enabled: reopen.length > 0,
        submenu: reopen.map(
          (id): MenuItemConstructorOptions => ({ label: id, click: () => options.actions.reopenReplica(id) }),
        ),
      },
      { type: 'separator' },
      { label: 'Close Window', role: 'close' },
      ...(mac ? [] : [{ type: 'separator' } as const, { label: 'Quit', role: 'quit' } as const]),
    ],
  };
  const edit: MenuItemConstructorOptions = {
    label: 'Edit',
    submenu: [
      { label: 'Undo', accelerator: 'CmdOrCtrl+Z', click: () => options.actions.editHistory('undo') },
      {
        label: 'Redo',
        accelerator: mac ? 'Shift+CmdOrCtrl+Z' : 'CmdOrCtrl+Y',
        click: () => options.actions.editHistory('redo'),
      },
      { type: 'separator' },
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      { role: 'selectAll' },
    ],
  };
  const view: MenuItemConstructorOptions = {
    label: 'View',
    submenu: [
      { role: 'reload' },
      ...(options.dev ? [{ role: 'toggleDevTools' } as const] : []),
      { type: 'separator' },
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };
  const windowMenu: MenuItemConstructorOptions = { label: 'Window', role: 'windowMenu' };
  const appMenu: MenuItemConstructorOptions = {
    label: options.appName,
    submenu: [
      { role: 'about' },
      { type: 'separator' },
      { role: 'hide' },
      { role: 'hideOthers' },
      { role: 'unhide' },
      { type: 'separator' },
      { label: 'Quit', role: 'quit' },
    ],
  };
  return mac ? [appMenu, file, edit, view, windowMenu] : [file, edit, view, windowMenu];
}
