// The portal: the hosted members page an account's own member reaches
// through a single-use link a product asks for (POST /v1/portal-sessions).
import type { Page, TestInfo } from '@playwright/test';

import { api, expect, expectAccessible, noJS, owner, screenshot, signIn, test, uid } from './fixtures';

/** Where the portal's link back to the product goes (an http loopback URL is allowed). */
const back = 'http://127.0.0.1:9/settings';

/** Creates an account through the API and returns its id. */
async function account(name: string): Promise<string> {
  const { status, body } = await api('POST', '/v1/accounts', { name });
  expect(status).toBe(201);
  return body.data.id;
}

/** Makes email an active member of the account with the role (and direct permissions): invited, then accepted. */
async function activeMember(acct: string, email: string, role: string, permissions: string[] = []): Promise<any> {
  const made = await api('POST', `/v1/account-memberships?account_id=${acct}`, { email, role, permissions, send_email: false });
  expect(made.status).toBe(201);
  const token = new URL(made.body.data.invitation.accept_url).pathname.split('/').pop();
  const res = await fetch(`${process.env.ROSTER_E2E_URL}/v1/invitations/accept`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  expect(res.status).toBe(200);
  return (await res.json()).data;
}

/** Asks for a portal link for email through the API, and returns its path. */
async function portalLink(acct: string, email: string): Promise<string> {
  const { status, body } = await api('POST', '/v1/portal-sessions', { account_id: acct, email, return_url: back, return_label: 'Back to Shopapp' });
  expect(status).toBe(201);
  return new URL(body.data.url).pathname;
}

/** Opens a portal link and lands on the members page. */
async function openPortal(page: Page, acct: string, email: string): Promise<void> {
  await page.goto(await portalLink(acct, email));
  await expect(page).toHaveURL(/\/portal$/);
}

/** An account with an owner, an admin and a plain member, all active. */
async function team(prefix: string) {
  const name = `${prefix} ${uid()}`;
  const acct = await account(name);
  const people = {
    owner: `olga-${uid()}@e2e.example`,
    admin: `adam-${uid()}@e2e.example`,
    plain: `pia-${uid()}@e2e.example`,
  };
  const ms = {
    owner: await activeMember(acct, people.owner, 'owner'),
    admin: await activeMember(acct, people.admin, 'admin', ['org.manage']),
    plain: await activeMember(acct, people.plain, 'member'),
  };
  return { name, acct, people, ms };
}

/** The table row of the member with this email. */
function row(page: Page, email: string) {
  return page.locator('#members-results tbody tr', { hasText: email });
}

/** Confirms a destructive action: hx-confirm's dialog with scripts, the confirmation page without. */
async function confirm(page: Page, testInfo: TestInfo, link: string, button: string): Promise<void> {
  if (noJS(testInfo)) {
    await page.getByRole('button', { name: link }).click();
    await page.getByRole('button', { name: button }).click();
  } else {
    page.once('dialog', (d) => d.accept());
    await page.getByRole('button', { name: link }).click();
  }
}

test('a link opens the account’s members page once, branded, and the token leaves the address bar', async ({ page }, testInfo) => {
  const t = await team('Portal');
  const link = await portalLink(t.acct, t.people.admin);
  const opened = await page.goto(link);
  expect(opened?.status()).toBe(200);
  await expect(page).toHaveURL(/\/portal$/);
  const header = page.getByRole('banner');
  await expect(header).toContainText('E2E');
  await expect(header).toContainText(t.name);
  await expect(header).toContainText(t.people.admin);
  await expect(header).toContainText('live mode');
  await expect(header.getByRole('link', { name: 'Back to Shopapp' })).toHaveAttribute('href', back);
  // No staff navigation, nothing of other accounts or the workspace.
  await expect(page.getByRole('link', { name: 'Accounts' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Team' })).toHaveCount(0);
  await expect(page.getByText('Link team members…')).toHaveCount(0);
  await expect(page.getByRole('heading', { name: t.name, level: 1 })).toBeVisible();
  await expect(row(page, t.people.plain)).toContainText('Member');
  await expectAccessible(page, testInfo);
  await screenshot(page, testInfo, 'portal');

  await page.getByRole('link', { name: 'Activity' }).click();
  await expect(page).toHaveURL(/\/portal\/activity$/);
  await expect(page.getByRole('heading', { name: 'Activity', level: 1 })).toBeVisible();
  await expectAccessible(page, testInfo);

  // Used once: opened again, it has expired; this browser may go back to its session.
  const again = await page.goto(link);
  expect(again?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'This link has expired' })).toBeVisible();
  const main = page.getByRole('main');
  await expect(main.getByRole('link', { name: 'Back to the members page' })).toBeVisible();
  await expect(main.getByRole('link', { name: 'Back to Shopapp' })).toHaveAttribute('href', back);
  await expectAccessible(page, testInfo);
  await main.getByRole('link', { name: 'Back to the members page' }).click();
  await expect(page.getByRole('heading', { name: t.name, level: 1 })).toBeVisible();
});

test('an unknown or reused link in another browser says it has expired', async ({ browser, page }, testInfo) => {
  const t = await team('Reused');
  const link = await portalLink(t.acct, t.people.plain);
  await page.goto(link);
  await expect(page).toHaveURL(/\/portal$/);

  const other = await browser.newContext({ javaScriptEnabled: !noJS(testInfo) });
  const stranger = await other.newPage();
  const reused = await stranger.goto(`${process.env.ROSTER_E2E_URL}${link}`);
  expect(reused?.status()).toBe(404);
  await expect(stranger.getByRole('heading', { name: 'This link has expired' })).toBeVisible();
  await expect(stranger.getByText(t.name)).toHaveCount(0);
  const unknown = await stranger.goto(`${process.env.ROSTER_E2E_URL}/portal/no-such-token`);
  expect(unknown?.status()).toBe(404);
  await expect(stranger.getByRole('heading', { name: 'This link has expired' })).toBeVisible();
  const none = await stranger.goto(`${process.env.ROSTER_E2E_URL}/portal`);
  expect(none?.status()).toBe(401);
  await expect(stranger.getByRole('heading', { name: 'Your session has ended' })).toBeVisible();
  await expectAccessible(stranger, testInfo);
  await other.close();
});

test('an admin invites and changes a role within their rights, and is refused an escalation with the reason', async ({ page }, testInfo) => {
  const t = await team('Rights');
  await openPortal(page, t.acct, t.people.admin);

  // Nothing on the owner's row or their own; no owner role to give.
  await expect(row(page, t.people.owner).getByRole('button', { name: /Save role/ })).toHaveCount(0);
  await expect(row(page, t.people.admin).getByRole('button', { name: /Save role/ })).toHaveCount(0);
  await expect(row(page, t.people.plain).getByRole('option', { name: 'Owner' })).toHaveCount(0);

  const r = row(page, t.people.plain);
  await r.getByLabel(`Role of ${t.people.plain}`, { exact: true }).selectOption('admin');
  await r.getByRole('button', { name: `Save role of ${t.people.plain}` }).click();
  await expect(page.getByRole('main').getByText(`${t.people.plain} now has the role Admin.`)).toBeVisible();

  await page.locator('summary', { hasText: 'Invite people…' }).click();
  const invite = page.locator('#invite-members');
  await expect(invite.getByLabel('Role').locator('option', { hasText: 'Owner' })).toHaveCount(0);
  const dora = `dora-${uid()}@e2e.example`;
  const eli = `eli-${uid()}@e2e.example`;
  await page.getByLabel('Email addresses').fill(`${dora}\n${eli}`);
  await invite.getByLabel('Role').selectOption('member');
  await page.getByRole('button', { name: 'Send invitations' }).click();
  await expect(page.getByRole('main').getByText(noJS(testInfo) ? `Invited ${dora}, ${eli}.` : `${dora}: invited`)).toBeVisible();
  await expect(row(page, dora)).toContainText('Invited');
  await expectAccessible(page, testInfo);

  // org.manage was theirs when the page was loaded; taken away since, giving it is refused.
  const fay = `fay-${uid()}@e2e.example`;
  if (noJS(testInfo)) await page.locator('summary', { hasText: 'Invite people…' }).click();
  await page.getByLabel('Email addresses').fill(fay);
  await invite.getByLabel('org.manage').check();
  const taken = await api('PATCH', `/v1/account-memberships/${t.ms.admin.id}`, { remove_permissions: ['org.manage'] });
  expect(taken.status).toBe(200);
  await page.getByRole('button', { name: 'Send invitations' }).click();
  await expect(page.locator('#invite-members')).toContainText('You may only give permissions you hold yourself, and you do not hold org.manage.');
  await expect(page.getByLabel('Email addresses')).toHaveValue(fay);
  await expect(row(page, fay)).toHaveCount(0);
  await expectAccessible(page, testInfo);

  // The staff console's activity names the member by their email.
  await signIn(page, owner);
  await page.goto(`/activity?account=${t.acct}`);
  await expect(page.locator('.event-sentence', { hasText: dora }).first()).toContainText(t.people.admin);
});

test('a read-only member sees no write control, only the way to leave', async ({ page }, testInfo) => {
  const t = await team('Readonly');
  await activeMember(t.acct, `ivy-${uid()}@e2e.example`, 'member');
  await api('POST', `/v1/account-memberships?account_id=${t.acct}`, { email: `inv-${uid()}@e2e.example`, send_email: false });
  await openPortal(page, t.acct, t.people.plain);
  const main = page.getByRole('main');
  await expect(main.getByText('Invite people…')).toHaveCount(0);
  await expect(main.getByRole('button', { name: /Save role|Save permissions|Resend invitation|Remove/ })).toHaveCount(0);
  await expect(main.getByText('Edit permissions')).toHaveCount(0);
  await expect(main.getByText('Invitation link')).toHaveCount(0);
  await expect(row(page, t.people.plain).getByRole('button', { name: 'Leave the account' })).toBeVisible();
  // Search and filters work as in the console.
  await page.getByLabel('Search by email or name').fill(t.people.owner.slice(0, 8));
  if (noJS(testInfo)) await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page.locator('#members-results tbody tr')).toHaveCount(1);
  await expect(row(page, t.people.owner)).toBeVisible();
  await expectAccessible(page, testInfo);
});

test('a member leaves the account; the last owner may not', async ({ page }, testInfo) => {
  const t = await team('Leave');
  await openPortal(page, t.acct, t.people.owner);
  await confirm(page, testInfo, 'Leave the account', 'Leave account');
  await expect(page.getByRole('main')).toContainText("This is the account's last active owner");
  const still = await api('GET', `/v1/account-memberships/${t.ms.owner.id}`);
  expect(still.status).toBe(200);

  await openPortal(page, t.acct, t.people.plain);
  await confirm(page, testInfo, 'Leave the account', 'Leave account');
  await expect(page.getByRole('heading', { name: `You have left ${t.name}` })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Back to Shopapp' })).toHaveAttribute('href', back);
  await expectAccessible(page, testInfo);
  const gone = await api('GET', `/v1/account-memberships/${t.ms.plain.id}`);
  expect(gone.status).toBe(404);
  await page.goto('/portal');
  await expect(page.getByRole('heading', { name: 'Your session has ended' })).toBeVisible();
});
