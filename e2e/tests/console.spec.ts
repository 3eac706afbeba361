// The console as a demanding admin meets it (issue 11): explicit role
// changes, focus after in-place actions, no overlaps, no dead ends.
import type { Page } from '@playwright/test';

import { api, expect, expectAccessible, expectNoOverlaps, noJS, owner, screenshot, signIn, test, uid } from './fixtures';

/** Creates an account with one invited member through the API. */
async function accountWith(email: string, extra: object = {}): Promise<{ acct: string; m: any; name: string }> {
  const name = `Console ${uid()}`;
  const acct = (await api('POST', '/v1/accounts', { name })).body.data.id;
  const res = await api('POST', `/v1/account-memberships?account_id=${acct}`, { email, ...extra });
  expect(res.status).toBe(201);
  return { acct, m: res.body.data, name };
}

function row(page: Page, email: string) {
  return page.locator('#members-results tbody tr', { hasText: email });
}

async function roleOf(id: string): Promise<string> {
  return (await api('GET', `/v1/account-memberships/${id}`)).body.data.role.slug;
}

const widths = [360, 390, 768, 1024, 1280, 1920];

test('making someone owner asks first, with and without scripts', async ({ page }, testInfo) => {
  const email = `olga-${uid()}@e2e.example`;
  const { acct, m } = await accountWith(email);
  await signIn(page, owner);
  await page.goto(`/accounts/${acct}`);
  await row(page, email).getByLabel(`Role of ${email}`, { exact: true }).selectOption('owner');
  await row(page, email).getByRole('button', { name: `Save role of ${email}` }).click();
  if (noJS(testInfo)) {
    // A page of its own, at an address that reloads.
    await expect(page.getByRole('heading', { name: `Make ${email} an owner?` })).toBeVisible();
    await expectNoOverlaps(page);
    await page.reload();
    await expect(page.getByRole('heading', { name: `Make ${email} an owner?` })).toBeVisible();
    await page.getByRole('link', { name: 'Cancel' }).click();
    await expect(page).toHaveURL(new RegExp(`/accounts/${acct}$`));
  } else {
    // The row asks, and focus is on the question.
    const question = row(page, email).getByRole('alert');
    await expect(question).toHaveText(`Make ${email} an owner of this account? Owners can change everything in it, other owners included.`);
    await expect(question).toBeFocused();
    await expectAccessible(page, testInfo);
    await row(page, email).getByRole('link', { name: /^Cancel/ }).click();
    await expect(row(page, email).getByLabel(`Role of ${email}`, { exact: true })).toHaveValue('member');
  }
  expect(await roleOf(m.id)).toBe('member');

  await row(page, email).getByLabel(`Role of ${email}`, { exact: true }).selectOption('owner');
  await row(page, email).getByRole('button', { name: `Save role of ${email}` }).click();
  await page.getByRole('button', { name: 'Make owner' }).click();
  await expect(page.getByRole('main').getByText(`${email} now has the role Owner.`)).toBeVisible();
  expect(await roleOf(m.id)).toBe('owner');
});

test('arrow keys on the role select save nothing: Save does', async ({ page }, testInfo) => {
  test.skip(noJS(testInfo), 'saving on change was a scripted behaviour');
  const email = `ari-${uid()}@e2e.example`;
  const { acct, m } = await accountWith(email);
  await signIn(page, owner);
  await page.goto(`/accounts/${acct}`);
  const select = row(page, email).getByLabel(`Role of ${email}`, { exact: true });
  await select.focus();
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  await page.waitForTimeout(500);
  expect(await roleOf(m.id)).toBe('member');
  const events = await api('GET', `/v1/events?membership_id=${m.id}&type=membership.updated`);
  expect(events.body.data).toHaveLength(0);
});

test('a refused role change shows the real role with the reason, and nothing overlaps', async ({ page }, testInfo) => {
  const email = `last-${uid()}@e2e.example`;
  const team = await api('POST', '/v1/workspace-memberships', { email, role: 'support' });
  const { acct } = await accountWith(`other-${uid()}@e2e.example`);
  const m = (await api('POST', `/v1/account-memberships?account_id=${acct}`, { workspace_membership_id: team.body.data.id, role: 'owner' })).body.data;
  await signIn(page, owner);
  await page.goto(`/accounts/${acct}`);
  const select = row(page, email).getByLabel(`Role of ${email}`, { exact: true });
  await select.selectOption('admin');
  await row(page, email).getByRole('button', { name: `Save role of ${email}` }).click();
  const reason = row(page, email).getByRole('alert');
  await expect(reason).toHaveText("This is the account's last active owner: make someone else owner before giving them another role.");
  await expect(select).toHaveValue('owner');
  await expect(select).toHaveAttribute('aria-invalid', 'true');
  await expect(select).toHaveAccessibleDescription(/last active owner/);
  if (!noJS(testInfo)) await expect(reason).toBeFocused();
  for (const width of widths) {
    await page.setViewportSize({ width, height: 900 });
    await expectNoOverlaps(page);
  }
  if (noJS(testInfo)) {
    // The refused form's address, opened again, is the members page, not a 405.
    const res = await page.goto(page.url());
    expect(res?.status()).toBe(200);
    await expect(page).toHaveURL(new RegExp(`/accounts/${acct}$`));
  }
  expect(await roleOf(m.id)).toBe('owner');
});

test('after resend, invite, save permissions and revoke, focus lands on what happened, which is announced', async ({ page }, testInfo) => {
  test.skip(noJS(testInfo), 'without scripts every action loads a page');
  const email = `focus-${uid()}@e2e.example`;
  const { acct } = await accountWith(email);
  await signIn(page, owner);
  await page.goto(`/accounts/${acct}`);
  await row(page, email).getByRole('button', { name: `Resend invitation to ${email}` }).focus();
  await page.keyboard.press('Enter');
  const note = row(page, email).getByRole('status');
  await expect(note).toHaveText(`Sent a new invitation to ${email}: the previous link no longer works.`);
  await expect(note).toBeFocused();
  await expect(page.locator('#announcer')).toHaveText(`Sent a new invitation to ${email}: the previous link no longer works.`);
  // The next Tab stays in the row, not back at "Skip to content".
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.closest('tr')?.id)).toMatch(/^member-am_/);

  await page.getByRole('button', { name: 'Invite people…' }).click();
  const ana = `ana-${uid()}@e2e.example`;
  await page.getByLabel('Email addresses').fill(ana);
  await page.getByRole('button', { name: 'Send invitations' }).focus();
  await page.keyboard.press('Enter');
  const results = page.locator('#invite-members [role="status"]');
  await expect(results).toContainText(`${ana}: invited`);
  await expect(results).toBeFocused();
  await expect(page.locator('#announcer')).toContainText(`${ana}: invited`);

  await row(page, email).getByText('Edit permissions').click();
  await row(page, email).getByRole('checkbox', { name: 'org.manage', exact: true }).check();
  await row(page, email).getByRole('button', { name: 'Save permissions' }).focus();
  await page.keyboard.press('Enter');
  const saved = row(page, email).getByRole('status');
  await expect(saved).toHaveText(`Saved the direct permissions of ${email}: org.manage.`);
  await expect(saved).toBeFocused();

  page.once('dialog', (d) => d.accept());
  await row(page, email).getByRole('button', { name: `Revoke the invitation of ${email}` }).click();
  await expect(page.locator('#members-results tr.gone [role="status"]')).toBeFocused();
});

test('the header is one row, the members table comes first, nothing is cut off', async ({ page }, testInfo) => {
  const email = `lay-${uid()}@e2e.example`;
  const { acct } = await accountWith(email);
  await signIn(page, owner);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`/accounts/${acct}`);
  const tops = await page.locator('.site-header nav > ul').evaluateAll((uls) => uls.map((ul) => Math.round(ul.getBoundingClientRect().top)));
  expect(new Set(tops).size).toBe(1);
  // The mode switch and Sign out are in the person's menu, which opens without scripts.
  await page.locator('details.account-menu summary').click();
  await expect(page.getByRole('button', { name: 'Switch to test mode' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await page.locator('details.account-menu summary').click();

  // The table is on screen at once; Invite and Link are one click away.
  const table = await page.locator('#members-results table').boundingBox();
  expect(table!.y).toBeLessThan(800);
  await expect(page.getByRole('button', { name: 'Invite people…' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Link team members…' })).toBeVisible();
  await screenshot(page, testInfo, 'members-1280');

  // The invitation link is shown whole.
  await row(page, email).getByText('Invitation link', { exact: true }).click();
  const link = row(page, email).locator('.invite-link');
  const fits = await link.evaluate((el) => el.scrollWidth <= el.clientWidth + 1 && el.scrollHeight <= el.clientHeight + 1);
  expect(fits).toBe(true);
  await page.getByRole('button', { name: 'Invite people…' }).click();
  for (const width of widths) {
    await page.setViewportSize({ width, height: 900 });
    await expectNoOverlaps(page);
  }
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, testInfo, 'members-390');
  await expectAccessible(page, testInfo);
});

for (const path of ['/roles', '/activity', '/accounts', '/api-keys', '/team']) {
  test(`the ${path} page draws nothing over anything at any width`, async ({ page }) => {
    await signIn(page, owner);
    await page.goto(path);
    for (const width of widths) {
      await page.setViewportSize({ width, height: 900 });
      await expectNoOverlaps(page);
      await expectNoOverlaps(page, '.site-header');
    }
  });
}
