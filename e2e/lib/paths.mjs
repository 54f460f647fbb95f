import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = path.resolve(E2E_DIR, '..');
export const RESULTS_DIR = path.join(E2E_DIR, 'test-results');
export const SCREENSHOT_DIR = process.env.E2E_SCREENSHOT_DIR
  ? path.resolve(process.env.E2E_SCREENSHOT_DIR)
  : path.join(E2E_DIR, 'screenshots');
export const TT_BIN = process.env.TT_BIN
  ? path.resolve(process.env.TT_BIN)
  : path.join(REPO_DIR, 'target', 'debug', 'timetracker');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
