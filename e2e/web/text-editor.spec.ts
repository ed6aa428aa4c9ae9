/** The CodeMirror text editor: named "Text", keeps the caret under remote edits, pastes and deletes by position. */
import { expect, test } from '../support/fixtures.ts';

test('the editor keeps its caret under a remote edit and carries pastes and select-all + delete', async ({
  windows,
}) => {
  const [alice, bob] = await windows.openAll('alice', 'bob');
  await expect(alice.page.getByRole('textbox', { name: 'Text' })).toBeVisible();
  await alice.typeAtEnd('Hello world');
  await expect(bob.editor).toHaveText('Hello world');

  // Alice's caret after "Hello"; bob types at the start; alice's next key lands after "Hello" still.
  await alice.editor.click();
  await alice.editor.press('Control+Home');
  for (let i = 0; i < 5; i++) await alice.editor.press('ArrowRight');
  await bob.editor.click();
  await bob.editor.press('Control+Home');
  await bob.editor.pressSequentially('>> ');
  await expect(alice.editor).toHaveText('>> Hello world');
  await alice.editor.pressSequentially(',');
  await expect(bob.editor).toHaveText('>> Hello, world');

  // A multi-line paste, as the clipboard delivers it, arrives whole (every line) in the other window.
  const pasted = 'line one\nline two\nline three';
  await alice.editor.press('Control+End');
  // (A string: e2e is type-checked without DOM types.) The clipboard's paste event, as a user's paste sends it.
  await alice.page.evaluate(`(() => {
    const content = document.getElementById('text-editor').shadowRoot.querySelector('.cm-content');
    const data = new DataTransfer();
    data.setData('text/plain', ${JSON.stringify(`\n${pasted}`)});
    content.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  })()`);
  await expect(bob.editor.locator('.cm-line')).toHaveText([
    '>> Hello, world',
    'line one',
    'line two',
    'line three',
  ]);

  await bob.editor.press('Control+a');
  await bob.editor.press('Delete');
  await expect(alice.editor).toHaveText('');
  await expect(bob.editor).toHaveText('');
  await alice.expectConvergedWith([bob]);
});

test("a window that is not typing does not read the DOM selection on a peer's edits", async ({ windows }) => {
  const [alice, bob] = await windows.openAll('alice', 'bob');
  // In Chromium a selection read first brings style and layout up to date: a layout per remote change.
  // (A string: e2e is type-checked without DOM types.)
  await bob.page.evaluate(`(() => {
    const read = ShadowRoot.prototype.getSelection;
    window.__selectionReads = 0;
    ShadowRoot.prototype.getSelection = function () {
      window.__selectionReads++;
      return read.call(this);
    };
  })()`);
  await alice.typeAtEnd('abcdef');
  await expect(bob.editor).toHaveText('abcdef');
  await expect(alice.editor).toHaveText('abcdef');
  expect(await bob.page.evaluate('window.__selectionReads')).toBe(0);

  // Focused, bob's editor reads the selection again: its caret lands where he clicks and types.
  await bob.editor.click();
  await bob.editor.press('Control+Home');
  await bob.editor.pressSequentially('>');
  await expect(alice.editor).toHaveText('>abcdef');
  expect(await bob.page.evaluate('window.__selectionReads')).toBeGreaterThan(0);
  await alice.typeAtEnd('!');
  await expect(bob.editor).toHaveText('>abcdef!');
  await bob.editor.pressSequentially('<');
  await expect(alice.editor).toHaveText('><abcdef!');
});
