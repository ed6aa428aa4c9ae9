/**
 * Collects what a user never should see go wrong in any page of a browser context: console errors
 * (the browser's own network errors included), uncaught exceptions, failed HTTP responses and crashes.
 * A test that breaks something on purpose (stops the relay) tolerates exactly the errors that causes.
 */
import type { BrowserContext, ConsoleMessage, Page } from '@playwright/test';

export class ConsoleGuard {
  private readonly seen: string[] = [];
  private readonly tolerated: RegExp[] = [];
  private readonly toleratedResponses: { readonly status: number; readonly url: RegExp }[] = [];

  /** Watch every page of `context`, present and future (pages opened by window.open too). */
  watch(context: BrowserContext): void {
    for (const page of context.pages()) this.watchPage(page);
    context.on('page', (page) => this.watchPage(page));
  }

  /** From now on, accept console errors whose text or source URL matches `pattern`. */
  tolerate(pattern: RegExp): void {
    this.tolerated.push(pattern);
  }

  /**
   * Accept responses with `status` from URLs matching `url`, and the console line Chromium logs for
   * each ("Failed to load resource: …"): for requests the app itself expects may fail that way.
   */
  tolerateResponse(status: number, url: RegExp): void {
    this.toleratedResponses.push({ status, url });
  }

  /** Everything seen so far that was not tolerated. */
  get problems(): readonly string[] {
    return this.seen;
  }

  /** Watch one page (an Electron window, say). */
  watchPage(page: Page): void {
    const where = (): string => page.url();
    page.on('console', (message) => {
      if (message.type() === 'error' && !this.isTolerated(message)) {
        this.seen.push(`${where()}: console error: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => this.seen.push(`${where()}: uncaught: ${error.message}`));
    page.on('crash', () => this.seen.push(`${where()}: page crashed`));
    page.on('response', (response) => {
      if (response.status() >= 400 && !this.isToleratedResponse(response.status(), response.url())) {
        this.seen.push(`${where()}: HTTP ${response.status()} for ${response.url()}`);
      }
    });
  }

  private isTolerated(message: ConsoleMessage): boolean {
    const text = message.text();
    const source = message.location().url;
    if (this.tolerated.some((pattern) => pattern.test(text) || pattern.test(source))) return true;
    const failedLoad = /^Failed to load resource: the server responded with a status of (\d+)/.exec(text);
    return failedLoad !== null && this.isToleratedResponse(Number(failedLoad[1]), source);
  }

  private isToleratedResponse(status: number, url: string): boolean {
    return this.toleratedResponses.some((r) => r.status === status && r.url.test(url));
  }
}
