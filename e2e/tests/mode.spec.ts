import { expect, owner, screenshot, signIn, test, uid } from './fixtures';

test('switches between live and test mode, with a banner and separate data', async ({ page }, testInfo) => {
  const tag = uid();
  await signIn(page, owner);
  await expect(page.getByText('live mode', { exact: true })).toBeVisible();
  await page.getByLabel('Name', { exact: true }).fill(`Live ${tag}`);
  await page.getByRole('button', { name: 'Create live account' }).click();
  await expect(page.getByRole('link', { name: `Live ${tag}` })).toBeVisible();

  await page.getByRole('button', { name: 'Switch to test mode' }).click();
  const banner = page.getByRole('note').filter({ hasText: 'Test mode: you are looking at test data' });
  await expect(banner).toBeVisible();
  await expect(page.getByRole('status')).toContainText('You are in test mode');
  await page.getByLabel('Name', { exact: true }).fill(`Test ${tag}`);
  await page.getByRole('button', { name: 'Create test account' }).click();
  await expect(page.getByRole('link', { name: `Test ${tag}` })).toBeVisible();
  await page.getByLabel('Search by name').fill(`Live ${tag}`);
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByText('Show all accounts')).toBeVisible();
  await expect(banner).toBeVisible();
  await screenshot(page, testInfo, 'accounts-test-mode');

  await page.getByRole('button', { name: 'Switch to live mode' }).click();
  await expect(banner).toHaveCount(0);
  await page.getByLabel('Search by name').fill(`Test ${tag}`);
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByText('Show all accounts')).toBeVisible();
  await page.goto('/accounts?q=' + encodeURIComponent(`Live ${tag}`));
  await expect(page.getByRole('link', { name: `Live ${tag}` })).toBeVisible();
});
