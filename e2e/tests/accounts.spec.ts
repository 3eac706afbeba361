import { api, expect, noJS, owner, screenshot, signIn, test, uid } from './fixtures';

test('creates an account, with the error next to the field and the input kept', async ({ page }, testInfo) => {
  await signIn(page, owner);
  const long = 'x'.repeat(201);
  await page.getByLabel('Name', { exact: true }).fill(long);
  await page.getByRole('button', { name: 'Create live account' }).click();
  await expect(page.getByText('The name must be at most 200 characters.')).toBeVisible();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue(long);
  await expect(page.getByLabel('Name', { exact: true })).toHaveAttribute('aria-invalid', 'true');

  const name = `Acme ${uid()}`;
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByRole('button', { name: 'Create live account' }).click();
  // Straight to the new account's members page, to invite its first members.
  await expect(page.getByRole('status')).toHaveText(`Created the account “${name}”: invite its first members.`);
  await expect(page).toHaveURL(/\/accounts\/acct_[0-9A-Z]+$/);
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
  await page.goto(`/accounts?q=${encodeURIComponent(name)}`);
  await expect(page.getByRole('link', { name })).toHaveAttribute('href', /^\/accounts\/acct_/);
  await screenshot(page, testInfo, 'accounts');
});

test('searches by name and pages through the results', async ({ page }, testInfo) => {
  const prefix = `Paged ${uid()}`;
  for (let i = 0; i < 25; i++) {
    const { status } = await api('POST', '/v1/accounts', { name: `${prefix} ${String(i).padStart(2, '0')}` });
    expect(status).toBe(201);
  }
  await signIn(page, owner);
  await page.getByLabel('Search by name').fill(prefix.toLowerCase());
  // With scripts the list follows the typing; without, the form is sent.
  if (noJS(testInfo)) await page.getByRole('button', { name: 'Search' }).click();
  const rows = page.locator('#accounts-results tbody tr');
  await expect(rows).toHaveCount(20);
  await expect(page).toHaveURL(/q=paged/);
  await expect(rows.first()).toContainText(`${prefix} 00`);

  await page.getByRole('link', { name: 'Next page' }).click();
  await expect(rows).toHaveCount(5);
  await expect(rows.last()).toContainText(`${prefix} 24`);
  await expect(page).toHaveURL(/after=acct_/);
  await page.goBack();
  await expect(rows).toHaveCount(20);
  await page.goForward();
  await expect(rows).toHaveCount(5);
  await page.reload();
  await expect(rows).toHaveCount(5);

  await page.getByRole('link', { name: 'First page' }).click();
  await expect(rows).toHaveCount(20);
  await expect(page.getByLabel('Search by name')).toHaveValue(prefix.toLowerCase());

  await page.getByLabel('Search by name').fill(`${prefix} 1`);
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(rows).toHaveCount(10);

  await page.getByLabel('Search by name').fill(`no such ${uid()}`);
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByText('Show all accounts')).toBeVisible();
});
