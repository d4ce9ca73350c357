// The renderer build: renderer/ → out/renderer, relative URLs so the page loads from any origin the
// shell chooses (file://, a custom protocol, or the development host's http://127.0.0.1). The
// Content-Security-Policy lives in renderer/index.html, so the page carries it however it is served.
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('./renderer', import.meta.url)),
  base: './',
  plugins: [svelte({ configFile: false })],
  build: {
    outDir: fileURLToPath(new URL('./out/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: false,
    // One small bundle: nothing to preload, nothing inline.
    modulePreload: false,
    assetsInlineLimit: 0,
  },
});
