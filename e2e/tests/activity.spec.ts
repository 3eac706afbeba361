import { api, expect, owner, screenshot, signIn, test, uid } from './fixtures';

test('filters the activity by account, member and action', async ({ page }, testInfo) => {
  const old = `Before ${uid()}`;
  const renamed = `After ${uid()}`;
  const { body } = await api('POST', '/v1/accounts', { name: old });
  const id = body.data.id;
  expect((await api('PATCH', `/v1/accounts/${id}`, { name: renamed })).status).toBe(200);
  await api('POST', '/v1/accounts', { name: `Other ${uid()}` });

  await signIn(page, owner);
  await page.getByRole('link', { name: 'Activity' }).click();
  await expect(page.locator('#events tbody tr').first()).toBeVisible();

  await page.getByLabel('Account id').fill(id);
  await page.getByRole('button', { name: 'Filter' }).click();
  const rows = page.locator('#events > .table-wrap > table > tbody > tr');
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText('account.updated');
  await expect(rows.first()).toContainText('API key sk_live_');
  const change = rows.first().locator('table.changes');
  await expect(change).toContainText(old);
  await expect(change).toContainText(renamed);
  await screenshot(page, testInfo, 'activity');

  await page.getByLabel('Action').selectOption('account.created');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('account.created');
  await expect(page).toHaveURL(/type=account.created/);

  await page.getByLabel('Account id').fill('');
  await page.getByLabel('Action').selectOption('');
  await page.getByLabel('Membership id').fill('am_01HQZC8G2T9YX5J8VQBW3KPQR7');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page.getByText('No activity matches these filters.')).toBeVisible();
});
