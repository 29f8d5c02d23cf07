// The console's build: one static bundle the kansoku console server serves; nothing is fetched
// at run time, so the bundle carries every plugin (no module federation).
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  base: '/',
  // Some Perses dependencies still read Node's `global`; in the browser it is globalThis.
  define: { global: 'globalThis' },
  build: {
    outDir: 'dist',
    chunkSizeWarningLimit: 8000, // echarts and MUI make one large vendor chunk; it is local
    sourcemap: false,
  },
});
