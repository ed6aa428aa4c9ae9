/**
 * `npm start` runs this first. Electron ≥ 45 downloads its binary on first launch (so `npm ci` works
 * offline); requiring the `electron` package triggers that download. Where it cannot happen (no
 * internet), say so plainly and point at web mode instead of electron-vite's bare "Electron uninstall".
 */
import { createRequire } from 'node:module';

try {
  createRequire(import.meta.url)('electron');
} catch (error) {
  process.stderr.write(
    `The Electron binary is not installed and could not be downloaded (${(error as Error).message.split('\n')[0]}).\n` +
      'Run Converge in a browser instead: npm run web\n',
  );
  process.exit(1);
}
