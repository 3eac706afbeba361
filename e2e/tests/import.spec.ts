import { readFileSync } from 'node:fs';

import { api, expect, expectAccessible, owner, screenshot, signIn, support, test, uid } from './fixtures';

// Imports and axe checks take their time on a busy machine.
test.describe.configure({ timeout: 90_000 });

/** Creates an account through the API and returns its id. */
async function account(name: string): Promise<string> {
  const { status, body } = await api('POST', '/v1/accounts', { name });
  expect(status).toBe(201);
  return body.data.id;
}

test('imports members from a CSV file: a preview row by row, then the import, the bad rows told by number', async ({ page }, testInfo) => {
  const acct = await account(`Import ${uid()}`);
  const taken = `taken-${uid()}@e2e.example`;
  expect((await api('POST', `/v1/account-memberships?account_id=${acct}`, { email: taken, send_email: false })).status).toBe(201);
  const ana = `ana-${uid()}@e2e.example`;
  const ben = `ben-${uid()}@e2e.example`;
  const file = `email,name,role,permissions\n${ana},Ana,admin,\nnot-an-email,Bad,member,\n${taken},,member,\n${ben},Ben,,billing.read;billing.manage\n`;

  await signIn(page, owner);
  await page.goto(`/accounts/${acct}`);
  await page.getByText('Import from CSV…').click();
  await page.getByLabel('CSV file').setInputFiles({ name: 'members.csv', mimeType: 'text/csv', buffer: Buffer.from(file) });
  await expectAccessible(page, testInfo);
  await page.getByRole('button', { name: 'Preview the import' }).click();

  await expect(page.getByRole('heading', { name: 'Preview: nothing is imported yet' })).toBeVisible();
  const rows = page.locator('table.import-rows tbody tr');
  await expect(rows.nth(0)).toContainText(`2${ana}Will invite as Admin`);
  await expect(rows.nth(1)).toContainText('3not-an-emailThe email must be');
  await expect(rows.nth(2)).toContainText(`4${taken}Already a member of this account.`);
  await expect(rows.nth(3)).toContainText(`5${ben}Will invite as Member`);
  await expectAccessible(page, testInfo);
  await screenshot(page, testInfo, 'import-preview');
  // The preview wrote nothing.
  const before = await api('GET', `/v1/accounts/${acct}/memberships`);
  expect(before.body.data.map((m: any) => m.user.email)).toEqual([taken]);

  await page.getByRole('button', { name: 'Import 2 members' }).click();
  await expect(page.getByRole('heading', { name: 'Imported 2 members' })).toBeVisible();
  await expect(rows.nth(0)).toContainText(`2${ana}Invited as Admin`);
  await expect(rows.nth(1)).toContainText('3not-an-emailThe email must be');
  await expect(page.getByText('2 of the rows were refused')).toBeVisible();
  await expectAccessible(page, testInfo);
  await screenshot(page, testInfo, 'import-report');

  await page.getByRole('link', { name: 'Back to the members' }).click();
  const table = page.locator('#members-results');
  await expect(table).toContainText(ana);
  await expect(table).toContainText(ben);
  await expect(table.locator('tbody tr', { hasText: ben })).toContainText('Direct: billing.manage, billing.read');
  await page.getByText('Import from CSV…').click();
  await expectAccessible(page, testInfo);
  await screenshot(page, testInfo, 'members-with-import');
});

test('a file of more than 1,000 members is refused whole, next to the field', async ({ page }, testInfo) => {
  const acct = await account(`Too many ${uid()}`);
  const lines = ['email'];
  for (let i = 0; i < 1001; i++) lines.push(`x${i}-${uid()}@e2e.example`);
  await signIn(page, owner);
  await page.goto(`/accounts/${acct}/import`);
  await page.getByLabel('CSV file').setInputFiles({ name: 'big.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n')) });
  await page.getByRole('button', { name: 'Preview the import' }).click();
  const pasted = page.getByLabel('Or paste the file');
  await expect(page.getByText('The file has more than 1000 members')).toBeVisible();
  await expect(page.getByLabel('CSV file')).toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(page, testInfo);
  // Pasted rows are kept in the field when refused.
  await pasted.fill('name\nAna');
  await page.getByRole('button', { name: 'Preview the import' }).click();
  await expect(page.getByText('one of them must be email')).toBeVisible();
  await expect(pasted).toHaveValue('name\nAna');
  const list = await api('GET', `/v1/accounts/${acct}/memberships`);
  expect(list.body.data).toEqual([]);
});

test('exports the members the filters show as a CSV download', async ({ page }) => {
  const acct = await account(`Export ${uid()}`);
  const admin = `boss-${uid()}@e2e.example`;
  for (const body of [{ email: admin, role: 'admin', name: '=SUM(1)' }, { email: `plain-${uid()}@e2e.example` }]) {
    expect((await api('POST', `/v1/account-memberships?account_id=${acct}`, { ...body, send_email: false })).status).toBe(201);
  }
  await signIn(page, support);
  await page.goto(`/accounts/${acct}?role=admin`);
  await expect(page.getByText('Import from CSV…')).toHaveCount(0);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export the members shown as CSV' }).click()]);
  expect(download.suggestedFilename()).toBe('members.csv');
  const text = readFileSync(await download.path(), 'utf8');
  const lines = text.trim().split('\n');
  expect(lines[0]).toBe('email,name,role,permissions,status,created_at');
  expect(lines).toHaveLength(2);
  expect(lines[1]).toMatch(new RegExp(`^${admin},'=SUM\\(1\\),admin,,invited,\\d{4}-`));
});
