// The Email domains page of an account, verified against the DNS server
// global-setup starts on 127.0.0.1 (roster serve asks it through
// ROSTER_DNS_SERVER; a spec publishes a TXT record by writing a file).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page, TestInfo } from '@playwright/test';

import { api, expect, expectAccessible, expectNoOverlaps, noJS, owner, screenshot, signIn, support, test, uid } from './fixtures';

/** Publishes a TXT record on the test DNS server. */
function publishTXT(name: string, value: string): void {
  writeFileSync(join(process.env.ROSTER_E2E_DNS_DIR!, name), `${value}\n`);
}

/** Waits for what an action says: in place (focused) with scripts, in the flash without. */
async function says(page: Page, text: string | RegExp, testInfo: TestInfo): Promise<void> {
  if (noJS(testInfo)) {
    await expect(page.locator('.flash')).toContainText(text);
  } else {
    const notice = page.locator('#domains-page [role="status"]');
    await expect(notice).toContainText(text);
    await expect(notice).toBeFocused();
  }
}

/** A live account made through the API. */
async function account(name: string): Promise<string> {
  const made = await api('POST', '/v1/accounts', { name });
  expect(made.status).toBe(201);
  return made.body.data.id;
}

test('an owner adds a domain, verifies it by its TXT record, changes and removes it', async ({ page }, testInfo) => {
  const id = uid();
  const name = `Domains ${id}`;
  const domain = `${id}-${testInfo.project.name}.e2e.example`;
  const acct = await account(name);
  await signIn(page, owner);
  await page.goto(`/accounts/${acct}`);
  await page.getByRole('link', { name: 'Email domains' }).click();
  await expect(page).toHaveURL(new RegExp(`/accounts/${acct}/domains$`));
  await expect(page.getByRole('heading', { name: `Email domains of ${name}`, level: 1 })).toBeVisible();
  await expect(page.getByText('This account claims no email domain yet.')).toBeVisible();

  // A public provider is refused next to the field, what was typed kept.
  await page.getByLabel('Domain', { exact: true }).fill('gmail.com');
  await page.getByRole('button', { name: 'Add domain' }).click();
  await expect(page.locator('#field-domain-error')).toContainText('public email provider');
  await expect(page.getByLabel('Domain', { exact: true })).toHaveValue('gmail.com');
  await expectAccessible(page, testInfo);

  await page.getByLabel('Domain', { exact: true }).fill(domain.toUpperCase());
  await page.getByLabel('Enrollment', { exact: true }).selectOption('auto_join');
  await page.getByRole('button', { name: 'Add domain' }).click();
  await says(page, `Added ${domain}`, testInfo);
  const row = page.locator('tr', { has: page.getByText(domain, { exact: true }) });
  await expect(row.locator('.status')).toHaveText('Pending');
  const record = row.locator('.txt-record code');
  await expect(record.first()).toHaveText(`_roster-challenge.${domain}`);
  const value = (await record.nth(1).textContent())!.trim();
  expect(value).toMatch(/^roster-verify=[0-9A-Za-z]{32}$/);

  // Not published yet: not verified, and said so.
  await row.getByRole('button', { name: `Check the TXT record of ${domain}` }).click();
  await says(page, 'was not found', testInfo);
  await expect(row.locator('.status')).toHaveText('Not verified');

  publishTXT(`_roster-challenge.${domain}`, value);
  await row.getByRole('button', { name: `Check the TXT record of ${domain}` }).click();
  await says(page, `Verified ${domain}`, testInfo);
  await expect(row.locator('.status')).toHaveText('Verified');
  await expect(row.locator('.txt-record')).toHaveCount(0);
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await expectNoOverlaps(page);
  }
  await expectAccessible(page, testInfo);
  await screenshot(page, testInfo, 'domains');

  await row.getByLabel(`Enrollment of ${domain}`).selectOption('manual');
  await row.getByRole('button', { name: 'Save' }).click();
  await says(page, `Saved ${domain}: manual`, testInfo);
  await expect(row.getByLabel(`Enrollment of ${domain}`)).toHaveValue('manual');

  const verified = await api('GET', `/v1/accounts/${acct}/domains`);
  expect(verified.body.data.map((d: any) => [d.domain, d.state, d.enrollment])).toEqual([[domain, 'verified', 'manual']]);

  // Removing asks first: the browser's dialog with scripts, a page without.
  if (noJS(testInfo)) {
    await row.getByRole('button', { name: `Remove the domain ${domain}` }).click();
    await expect(page.getByRole('heading', { name: `Remove the domain ${domain}?` })).toBeVisible();
    await page.getByRole('button', { name: 'Remove domain' }).click();
  } else {
    page.once('dialog', (d) => d.accept());
    await row.getByRole('button', { name: `Remove the domain ${domain}` }).click();
  }
  await says(page, `Removed ${domain}.`, testInfo);
  await expect(page.getByText('This account claims no email domain yet.')).toBeVisible();
});

test('an owner marks a domain verified by hand; support staff only read', async ({ page }, testInfo) => {
  const id = uid();
  const domain = `${id}-${testInfo.project.name}.hand.e2e.example`;
  const acct = await account(`By hand ${id}`);
  await signIn(page, owner);
  await page.goto(`/accounts/${acct}/domains`);
  await page.getByLabel('Domain', { exact: true }).fill(domain);
  await page.getByRole('button', { name: 'Add domain' }).click();
  await says(page, `Added ${domain}`, testInfo);
  await page.getByRole('button', { name: `Mark ${domain} verified by hand` }).click();
  await says(page, `Verified ${domain}`, testInfo);

  await page.context().clearCookies();
  await signIn(page, support);
  await page.goto(`/accounts/${acct}/domains`);
  await expect(page.locator('#domains-readonly')).toBeVisible();
  await expect(page.getByText(domain, { exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Add domain' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Save' })).toHaveCount(0);
  await expectAccessible(page, testInfo);
});
