import { api, expect, signIn, support, test } from './fixtures';

test('support staff see no write controls, and a forged write is refused', async ({ page }) => {
  await signIn(page, support);
  await expect(page.getByRole('heading', { name: 'Create an account' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /Create .* account/ })).toHaveCount(0);

  await page.getByRole('link', { name: 'API keys' }).click();
  await expect(page.getByRole('heading', { name: 'API keys' })).toBeVisible();
  await expect(page.locator('tbody tr', { hasText: 'e2e seed' }).first()).toBeVisible();
  await expect(page.getByRole('button', { name: /Create .* key/ })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^Revoke/ })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^Roll/ })).toHaveCount(0);

  await page.getByRole('link', { name: 'Team' }).click();
  await expect(page.getByRole('button', { name: 'Add to the team' })).toHaveCount(0);
  await page.getByRole('link', { name: 'Activity' }).click();
  await expect(page.getByRole('heading', { name: 'Activity' })).toBeVisible();

  // A forged form post, with a valid CSRF token, is refused by the server.
  const token = await page.locator('input[name="_csrf"]').first().inputValue();
  const forged = await page.request.post('/accounts', { form: { _csrf: token, name: 'Forged by support' } });
  expect(forged.status()).toBe(403);
  expect(await forged.text()).toContain('You may not do this');
  const invite = await page.request.post('/team', { form: { _csrf: token, email: 'x@e2e.example', role: 'admin' } });
  expect(invite.status()).toBe(403);
  const search = await api('GET', '/v1/accounts?q=Forged+by+support');
  expect(search.body.data).toEqual([]);
});
