export * from './paths.mjs';
export * from './procs.mjs';
export * from './app.mjs';
export * from './idp.mjs';
export * from './browser.mjs';
export * from './scenario.mjs';
