import { expect, owner, screenshot, signIn, switchMode, test, uid } from './fixtures';

test('switches between live and test mode, with a banner and separate data', async ({ page }, testInfo) => {
  const tag = uid();
  await signIn(page, owner);
  await expect(page.getByText('live mode', { exact: true })).toBeVisible();
  await page.getByLabel('Name', { exact: true }).fill(`Live ${tag}`);
  await page.getByRole('button', { name: 'Create live account' }).click();
  await expect(page.getByRole('heading', { name: `Live ${tag}`, level: 1 })).toBeVisible();

  await page.goto('/accounts');
  await switchMode(page, 'test');
  const banner = page.getByRole('note').filter({ hasText: 'Test mode: you are looking at test data' });
  await expect(banner).toBeVisible();
  await expect(page.getByRole('status')).toContainText('You are in test mode');
  await page.getByLabel('Name', { exact: true }).fill(`Test ${tag}`);
  await page.getByRole('button', { name: 'Create test account' }).click();
  await expect(page.getByRole('heading', { name: `Test ${tag}`, level: 1 })).toBeVisible();
  await page.goto('/accounts');
  await page.getByLabel('Search by name').fill(`Live ${tag}`);
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByText('Show all accounts')).toBeVisible();
  await expect(banner).toBeVisible();
  await screenshot(page, testInfo, 'accounts-test-mode');

  await switchMode(page, 'live');
  await expect(banner).toHaveCount(0);
  await page.getByLabel('Search by name').fill(`Test ${tag}`);
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByText('Show all accounts')).toBeVisible();
  await page.goto('/accounts?q=' + encodeURIComponent(`Live ${tag}`));
  await expect(page.getByRole('link', { name: `Live ${tag}` })).toBeVisible();
});
