/** "Stop" for a replay that is running (nothing otherwise). */
export function StopButton({ running, onStop }: { readonly running: boolean; readonly onStop: () => void }) {
  if (!running) return null;
  return (
    <button type="button" className="secondary" onClick={onStop}>
      Stop
    </button>
  );
}
