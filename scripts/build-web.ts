// Bundles the web app (web/src → web/dist) with esbuild; npm start and npm test run it first.
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const out = path.join(ROOT, 'web/dist');
await mkdir(out, { recursive: true });
await build({
  entryPoints: [path.join(ROOT, 'web/src/main.ts')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  outfile: path.join(out, 'app.js'),
  logLevel: 'warning',
});
// The styles with what they @import from packages (uPlot's), in one file.
await build({
  entryPoints: [path.join(ROOT, 'web/src/styles.css')],
  bundle: true,
  minify: true,
  outfile: path.join(out, 'app.css'),
  logLevel: 'warning',
});
await copyFile(path.join(ROOT, 'web/index.html'), path.join(out, 'index.html'));
console.log('[web] built web/dist');
