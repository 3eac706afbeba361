import { defineConfig } from '@playwright/test';

// Debian's Chromium, never a downloaded browser.
const launchOptions = {
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
};

export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.ts',
  fullyParallel: true,
  workers: 2,
  forbidOnly: !!process.env.CI,
  timeout: 30_000,
  expect: { timeout: 5_000 },
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    launchOptions,
    screenshot: 'only-on-failure',
    trace: 'off',
  },
  projects: [
    { name: 'js', use: { browserName: 'chromium', javaScriptEnabled: true, permissions: ['clipboard-read', 'clipboard-write'] } },
    { name: 'no-js', use: { browserName: 'chromium', javaScriptEnabled: false } },
  ],
});
