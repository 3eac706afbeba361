import { api, expect, expectAccessible, owner, screenshot, signIn, test, uid } from './fixtures';

test('filters the activity by account, member and action', async ({ page }, testInfo) => {
  const old = `Before ${uid()}`;
  const renamed = `After ${uid()}`;
  const { body } = await api('POST', '/v1/accounts', { name: old });
  const id = body.data.id;
  expect((await api('PATCH', `/v1/accounts/${id}`, { name: renamed })).status).toBe(200);
  await api('POST', '/v1/accounts', { name: `Other ${uid()}` });

  await signIn(page, owner);
  await page.getByRole('link', { name: 'Activity' }).click();
  const events = page.locator('#events li.event');
  await expect(events.first()).toBeVisible();

  await page.getByLabel('Account id').fill(id);
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(events).toHaveCount(2);
  // A sentence: who (the key's name), what, the account's name linked; then what changed.
  await expect(events.first().locator('.event-sentence')).toHaveText(`The key e2e seed renamed the account ${old} to ${renamed}`);
  await expect(events.first().getByRole('link', { name: renamed, exact: true })).toHaveAttribute('href', `/accounts/${id}`);
  await expect(events.first().getByRole('list', { name: 'What changed' })).toHaveText(`Name: ${old} → ${renamed}`);
  await expect(events.first().getByText('Raw event data')).toBeVisible();

  await page.getByLabel('Action').selectOption({ label: 'Account created' });
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(events).toHaveCount(1);
  await expect(events.first().locator('.event-sentence')).toHaveText(`The key e2e seed created the account ${renamed}`);
  await expect(page).toHaveURL(/type=account.created/);

  await page.getByLabel('Account id').fill('');
  await page.getByLabel('Action').selectOption('');
  await page.getByLabel('Membership id').fill('am_01HQZC8G2T9YX5J8VQBW3KPQR7');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page.getByText('No activity matches these filters.')).toBeVisible();
});

test('says a role change to whom, from what to what, by whom, and nothing else', async ({ page }, testInfo) => {
  const name = `Told ${uid()}`;
  const acct = (await api('POST', '/v1/accounts', { name })).body.data.id;
  const email = `bob-${uid()}@e2e.example`;
  const m = (await api('POST', `/v1/account-memberships?account_id=${acct}`, { email })).body.data;
  await signIn(page, owner);
  await page.goto(`/accounts/${acct}`);
  const row = page.locator('#members-results tbody tr', { hasText: email });
  await row.getByLabel(`Role of ${email}`, { exact: true }).selectOption('admin');
  await row.getByRole('button', { name: `Save role of ${email}` }).click();
  await expect(page.getByRole('main').getByText(`${email} now has the role Admin.`)).toBeVisible();

  await page.goto(`/activity?member=${m.id}`);
  const change = page.locator('#events li.event').first();
  await expect(change.locator('.event-sentence')).toHaveText(`${owner.email} changed the role of ${email} from Member to Admin in ${name}`);
  await expect(change.getByRole('list', { name: 'What changed' })).toHaveText('Role: Member → Admin');
  // Only what changed: no updated_at, no effective_permissions (they stay in the raw JSON).
  await expect(change.getByRole('list', { name: 'What changed' }).getByRole('listitem')).toHaveCount(1);
  await expect(page.locator('#events li.event').nth(1).locator('.event-sentence')).toHaveText(`The key e2e seed invited ${email} as Member in ${name}`);
  await expectAccessible(page, testInfo);
  for (const [width, height] of [[1280, 900], [390, 844]]) {
    await page.setViewportSize({ width, height });
    await screenshot(page, testInfo, `activity-${width}`);
  }
  // The raw JSON stays, behind its disclosure.
  await change.getByText('Raw event data').click();
  await expect(change.locator('pre').first()).toContainText('"slug": "member"');
});
