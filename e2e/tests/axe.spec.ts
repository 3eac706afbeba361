import { api, expect, expectAccessible, noJS, owner, signIn, test } from './fixtures';

// axe-core runs inside the page, so these checks need JavaScript.
test('no serious or critical accessibility violation on any page', async ({ page }, testInfo) => {
  test.skip(noJS(testInfo), 'axe needs scripts in the page');
  await page.goto('/login');
  await expectAccessible(page, testInfo);
  await page.getByRole('button', { name: 'Sign in' }).click(); // required fields: the browser refuses
  await signIn(page, owner);

  const { body } = await api('GET', '/v1/accounts?limit=1');
  expect(body.success).toBe(true);
  const keys = await page.request.get('/api-keys');
  expect(keys.ok()).toBe(true);
  const keyID = /id="key-(key_[0-9A-Z]+)"/.exec(await keys.text())?.[1];
  expect(keyID).toBeTruthy();

  for (const path of ['/accounts', '/api-keys', `/api-keys/${keyID}/revoke`, `/api-keys/${keyID}/roll`, '/activity', '/team', '/no-such-page']) {
    await page.goto(path);
    await expectAccessible(page, testInfo);
  }

  // A form shown again with its errors.
  await page.goto('/accounts');
  await page.getByLabel('Name', { exact: true }).fill('x'.repeat(201));
  await page.getByRole('button', { name: 'Create live account' }).click();
  await expect(page.getByText('The name must be at most 200 characters.')).toBeVisible();
  await expectAccessible(page, testInfo);

  // Test mode, with its banner.
  await page.getByRole('button', { name: 'Switch to test mode' }).click();
  await expect(page.getByText('Test mode: you are looking at test data')).toBeVisible();
  await expectAccessible(page, testInfo);
});
