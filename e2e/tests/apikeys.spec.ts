import { api, expect, noJS, owner, screenshot, signIn, switchMode, test, uid } from './fixtures';

test('creates a key, shows its secret once, rolls and revokes it', async ({ page }, testInfo) => {
  await signIn(page, owner);
  await page.getByRole('link', { name: 'API keys' }).click();
  const name = `Billing ${uid()}`;
  await page.getByRole('radio', { name: /^Secret/ }).check();
  await page.getByLabel('Name (optional)').fill(name);
  await page.getByLabel('accounts:read').check();
  await page.getByRole('button', { name: 'Create live key' }).click();

  await expect(page.getByRole('heading', { name: 'Your new secret key' })).toBeVisible();
  const secretBox = page.getByLabel(`Secret of the key ${name}`);
  const secret = await secretBox.inputValue();
  expect(secret).toMatch(/^sk_live_[0-9A-Za-z]{40}$/);
  if (!noJS(testInfo)) {
    await page.getByRole('button', { name: 'Copy' }).click();
    await expect(page.getByRole('button', { name: 'Copied' })).toBeVisible();
  }
  await screenshot(page, testInfo, 'api-keys');
  expect((await api('GET', '/v1/accounts', undefined, 'live', secret)).status).toBe(200);
  expect((await api('POST', '/v1/accounts', { name: 'nope' }, 'live', secret)).status).toBe(403);

  await page.reload();
  await expect(page.locator('#new-secret')).toHaveCount(0);
  const row = page.locator('tbody tr', { hasText: name });
  await expect(row).toContainText('accounts:read');

  await row.getByRole('button', { name: `Roll key ${name}` }).click();
  await expect(page.getByRole('heading', { name: /^Roll the key/ })).toBeVisible();
  await page.getByLabel('The old key keeps working for').selectOption('0');
  await page.getByRole('button', { name: 'Roll key' }).click();
  await expect(page.getByRole('status')).toContainText('Rolled the key');
  const rolled = await page.locator('#new-secret').inputValue();
  expect(rolled).not.toBe(secret);
  expect((await api('GET', '/v1/accounts', undefined, 'live', secret)).status).toBe(401);
  expect((await api('GET', '/v1/accounts', undefined, 'live', rolled)).status).toBe(200);

  const active = page.locator('tbody tr', { hasText: name }).filter({ hasText: 'Active' });
  if (noJS(testInfo)) {
    await active.getByRole('button', { name: `Revoke key ${name}` }).click();
    await expect(page.getByText('This cannot be undone.')).toBeVisible();
    await page.getByRole('button', { name: 'Revoke key' }).click();
  } else {
    page.once('dialog', (d) => d.accept());
    await active.getByRole('button', { name: `Revoke key ${name}` }).click();
  }
  await expect(page.getByRole('status')).toContainText('Revoked the key');
  await expect(page.locator('tbody tr', { hasText: name }).filter({ hasText: 'Active' })).toHaveCount(0);
  expect((await api('GET', '/v1/accounts', undefined, 'live', rolled)).status).toBe(401);
});

test('makes test-mode keys in test mode', async ({ page }) => {
  await signIn(page, owner);
  await switchMode(page, 'test');
  await page.getByRole('link', { name: 'API keys' }).click();
  await page.getByRole('radio', { name: /^Publishable/ }).check();
  await page.getByRole('button', { name: 'Create test key' }).click();
  await expect(page.locator('#new-secret')).toHaveValue(/^pk_test_/);
});
