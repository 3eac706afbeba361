// Copies the vendored browser assets from node_modules into ../static/vendor,
// where the server embeds them. Run after changing their versions in
// package.json: npm ci && npm run vendor.
import { copyFileSync, mkdirSync } from 'node:fs';

const files = {
  'node_modules/htmx.org/dist/htmx.min.js': '../static/vendor/htmx.min.js',
  'node_modules/@picocss/pico/css/pico.min.css': '../static/vendor/pico.min.css',
};
mkdirSync('../static/vendor', { recursive: true });
for (const [from, to] of Object.entries(files)) {
  copyFileSync(from, to);
  console.log(`${from} -> ${to}`);
}
