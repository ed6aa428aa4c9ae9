/**
 * One replica window as a user drives it: what to click and type, and where to read what the window
 * shows. Selectors are the renderer's data-testid's; every read goes through the rendered page.
 */
import { ENGINES as REGISTRY } from '@converge/replica';
import { expect, type Locator, type Page } from '@playwright/test';
import { escapeRegExp } from './regexp.ts';

/** Every engine the app compares, from the registry. */
export const ENGINES = REGISTRY.names;
export type Engine = string;
/** The engines that keep every concurrent text edit (last-writer-wins keeps one and lists the rest). */
export const CRDT_ENGINES = REGISTRY.descriptors
  .filter((d) => d.semantics.text === 'merged')
  .map((d) => d.name);

/** Wait until every window shows it has converged with every other one (see expectConvergedWith). */
export async function expectAllConverged(...windows: readonly Workbench[]): Promise<void> {
  for (const window of windows) {
    await window.expectConvergedWith(windows.filter((other) => other !== window));
  }
}

export type Tab = 'compare' | 'network' | 'ledger' | 'wire' | 'session' | 'checkout' | 'history';

/** Syncing and digest announcements go through the relay; a merge may take a few round trips. */
export const SYNC_TIMEOUT_MS = 20_000;

export class Workbench {
  constructor(
    readonly page: Page,
    readonly replicaId: string,
  ) {}

  /** The header badge: "online · 1 peer", "offline", "connecting…", "online · cut off from 2 peers", … */
  get connection(): Locator {
    return this.page.getByTestId('connection-state');
  }

  get editor(): Locator {
    return this.page.getByTestId('text-editor');
  }

  /** The always-visible per-engine "converged with every replica" badge. */
  convergedBadge(engine: Engine): Locator {
    return this.page.getByTestId(`converged-${engine}`);
  }

  /** An engine's text in the compare panel, marked up against the edited (primary) engine's text. */
  compareText(engine: Engine): Locator {
    return this.page.getByTestId(`compare-text-${engine}`);
  }

  compareCart(engine: Engine): Locator {
    return this.page.getByTestId(`compare-cart-${engine}`);
  }

  cartQuantity(product: string): Locator {
    return this.page.getByTestId(`cart-qty-${product}`);
  }

  async waitUntilLoaded(): Promise<void> {
    await expect(this.page.getByTestId('replica-id')).toHaveText(this.replicaId);
    await expect(this.editor).toBeVisible();
  }

  async expectOnline(): Promise<void> {
    await expect(this.connection).toHaveText(/^online/, { timeout: SYNC_TIMEOUT_MS });
  }

  /**
   * Online with a live link to each of `replicaIds` (the badge's tooltip names the peers it syncs
   * with; other nodes of the room, such as a storage peer, may be listed too).
   */
  async expectSyncingWith(replicaIds: readonly string[]): Promise<void> {
    await this.expectOnline();
    const lookaheads = replicaIds.map((id) => `(?=.*\\b${escapeRegExp(id)}\\b)`).join('');
    await expect(this.connection).toHaveAttribute('title', new RegExp(`^Syncing with ${lookaheads}`), {
      timeout: SYNC_TIMEOUT_MS,
    });
  }

  async goOffline(): Promise<void> {
    await this.page.getByTestId('offline-toggle').click();
    await expect(this.connection).toHaveText('offline');
  }

  async goOnline(): Promise<void> {
    await this.page.getByTestId('offline-toggle').click();
    await this.expectOnline();
  }

  async openTab(tab: Tab): Promise<void> {
    await this.page.getByTestId(`tab-${tab}`).click();
    await expect(this.page.getByTestId(`panel-${tab}`)).toBeVisible();
  }

  /** Type at the end of the shared text, key by key, as a user does. */
  async typeAtEnd(text: string): Promise<void> {
    await this.editor.click();
    await this.editor.press('Control+End');
    await this.editor.pressSequentially(text);
  }

  /** Put the caret `position` characters into the text (keyboard only), then type. */
  async typeAt(position: number, text: string): Promise<void> {
    await this.editor.click();
    await this.editor.press('Control+Home');
    for (let i = 0; i < position; i++) await this.editor.press('ArrowRight');
    await this.editor.pressSequentially(text);
  }

  /** Set the name the others see (the header's presence bar). */
  async setDisplayName(name: string): Promise<void> {
    await this.page.getByTestId('display-name').fill(name);
  }

  /** How this window lists another in its presence bar. */
  presenceOf(replicaId: string): Locator {
    return this.page.getByTestId(`presence-${replicaId}`);
  }

  /** Another window's caret drawn over this window's text. */
  remoteCaret(replicaId: string): Locator {
    return this.page.getByTestId(`remote-caret-${replicaId}`);
  }

  async undo(): Promise<void> {
    await this.page.keyboard.press('ControlOrMeta+z');
  }

  async redo(): Promise<void> {
    await this.page.keyboard.press('ControlOrMeta+Shift+z');
  }

  async addToCart(product: string, qty: number): Promise<void> {
    await this.page.getByTestId('cart-product').fill(product);
    await this.page.getByTestId('cart-qty-input').fill(String(qty));
    await this.page.getByTestId('cart-add').click();
    await expect(this.page.getByTestId(`cart-line-${product}`)).toBeVisible();
  }

  async setNote(value: string): Promise<void> {
    await this.page.getByTestId('note-input').fill(value);
    await this.page.getByTestId('note-set').click();
  }

  /** Set this replica's clock skew to one of the header's presets (±5 s, ±60 s, or 0). */
  async setClockFromHeader(seconds: -60 | -5 | 0 | 5 | 60): Promise<void> {
    await this.page.getByTestId('skew-select').selectOption(String(seconds * 1000));
    if (seconds === 0) await expect(this.page.getByTestId('skew-badge')).toHaveCount(0);
    else
      await expect(this.page.getByTestId('skew-badge')).toHaveText(
        `skewed ${seconds > 0 ? '+' : '−'}${Math.abs(seconds)} s`,
      );
  }

  /** Set this replica's clock skew (LWW stamps writes with it) from the Lost writes tab, to any value. */
  async setSkewSeconds(seconds: number): Promise<void> {
    await this.openTab('ledger');
    await this.page.getByTestId('skew-input').fill(String(seconds));
    await this.page.getByTestId('skew-apply').click();
    await expect(this.page.getByTestId('skew-badge')).toBeVisible();
  }

  /**
   * Wait until, engine by engine, this window's badge shows it holds the same state as each of `peers`
   * (its tooltip lists the evidence per node: "bob: same (by digest)") and says "converged" with every
   * replica, the room's storage peer included.
   */
  async expectConvergedWith(
    peers: readonly Workbench[],
    engines: readonly Engine[] = ENGINES,
  ): Promise<void> {
    for (const engine of engines) {
      const badge = this.convergedBadge(engine);
      const what = `${this.replicaId}: ${engine}`;
      for (const peer of peers) {
        await expect(badge, `${what} same as ${peer.replicaId}`).toHaveAttribute(
          'title',
          new RegExp(`^${escapeRegExp(peer.replicaId)}: same \\(by digest\\)$`, 'm'),
          { timeout: SYNC_TIMEOUT_MS },
        );
      }
      await expect(badge, `${what} converged`).toHaveAttribute('data-state', 'converged', {
        timeout: SYNC_TIMEOUT_MS,
      });
    }
  }

  /**
   * The engine's own text as the compare panel shows it (compare tab open): the unchanged and the
   * inserted segments, without the struck-out text only the edited engine has.
   */
  async engineText(engine: Engine): Promise<string> {
    const box = this.compareText(engine);
    await expect(box).toBeVisible();
    // The cards update a few times a second: read them once a change they are waiting for is shown.
    await expect(this.page.locator('.compare-grid')).not.toHaveAttribute('aria-busy', 'true');
    if ((await box.locator(':scope > span.muted').count()) > 0) return '';
    return (await box.locator(':scope > span, :scope > ins').allTextContents()).join('');
  }

  /** Every engine's text, once the compare panel is shown. */
  async engineTexts(): Promise<Record<Engine, string>> {
    const texts = {} as Record<Engine, string>;
    for (const engine of ENGINES) texts[engine] = await this.engineText(engine);
    return texts;
  }
}
