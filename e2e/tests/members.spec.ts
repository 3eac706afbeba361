import type { Page, TestInfo } from '@playwright/test';

import { api, expect, expectAccessible, noJS, owner, screenshot, signIn, support, switchMode, test, uid } from './fixtures';

/** Creates an account through the API and returns its id. */
async function account(name: string, mode: 'live' | 'test' = 'live'): Promise<string> {
  const { status, body } = await api('POST', '/v1/accounts', { name }, mode);
  expect(status).toBe(201);
  return body.data.id;
}

/** Adds a membership to an account through the API and returns it. */
async function member(acct: string, body: object, mode: 'live' | 'test' = 'live'): Promise<any> {
  const res = await api('POST', `/v1/account-memberships?account_id=${acct}`, body, mode);
  expect(res.status).toBe(201);
  return res.body.data;
}

/** The table row of the member with this email. */
function row(page: Page, email: string) {
  return page.locator('#members-results tbody tr', { hasText: email });
}

/** Opens the Invite or Link disclosure above the table, unless it is open. */
async function open(page: Page, summary: 'Invite people…' | 'Link team members…'): Promise<void> {
  const details = page.locator('details', { has: page.locator('summary', { hasText: summary }) });
  if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open))) await details.locator('summary').click();
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

test('invites several people at once and says what happened to each', async ({ page }, testInfo) => {
  const name = `Invites ${uid()}`;
  const acct = await account(name);
  const taken = `taken-${uid()}@e2e.example`;
  await member(acct, { email: taken });
  await signIn(page, owner);
  await page.goto(`/accounts?q=${encodeURIComponent(name)}`);
  await page.getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();

  const ana = `ana-${uid()}@e2e.example`;
  const ben = `ben-${uid()}@e2e.example`;
  // The table comes first; Invite is one click away.
  await expect(page.getByLabel('Email addresses')).toBeHidden();
  await open(page, 'Invite people…');
  await page.getByLabel('Email addresses').fill(`${ana}, ${taken}\nnot-an-email\n${ben}, ${ana.toUpperCase()}`);
  const invite = page.locator('#invite-members');
  await invite.getByLabel('Role').selectOption('admin');
  await invite.getByLabel('org.manage').check();
  await page.getByRole('button', { name: 'Send invitations' }).click();

  const results = page.locator('.add-results');
  await expect(results).toContainText(`${ana}: invited`);
  await expect(results).toContainText(`${ben}: invited`);
  await expect(results).toContainText(`${taken}: already a member of this account`);
  await expect(results).toContainText('not-an-email: not a valid email address');
  await expect(results).toContainText(`${ana} and ${ana.toUpperCase()} are the same address: invited once`);
  // Only the addresses that failed stay in the form, with the choices made,
  // the field marked invalid and tied to what is wrong.
  const emails = page.getByLabel('Email addresses');
  await expect(emails).toHaveValue(`${taken}\nnot-an-email`);
  await expect(emails).toHaveAttribute('aria-invalid', 'true');
  await expect(emails).toHaveAccessibleDescription(new RegExp(`Not invited: ${taken}, not-an-email\\.`));
  await expect(invite.getByLabel('Role')).toHaveValue('admin');
  await expect(row(page, ana)).toContainText('Invited');
  await expect(row(page, ana)).toContainText('Admin');
  await expect(row(page, ben)).toContainText('Direct: org.manage');
  await expectAccessible(page, testInfo);

  const cy = `cy-${uid()}@e2e.example`;
  await page.getByLabel('Email addresses').fill(cy);
  await page.getByRole('button', { name: 'Send invitations' }).click();
  await expect(page.getByRole('main').getByText(noJS(testInfo) ? `Invited ${cy}.` : `${cy}: invited`)).toBeVisible();
  await expect(page.getByLabel('Email addresses')).toHaveValue('');
  await expect(row(page, cy)).toContainText('Invited');
  await screenshot(page, testInfo, 'members');
});

test('changes a role and direct permissions; the role’s are locked', async ({ page }, testInfo) => {
  const name = `Roles ${uid()}`;
  const acct = await account(name);
  const email = `rita-${uid()}@e2e.example`;
  const m = await member(acct, { email, name: 'Rita' });
  await signIn(page, owner);
  await page.goto(`/accounts/${acct}`);

  const r = row(page, email);
  await r.getByLabel(`Role of ${email}`, { exact: true }).selectOption('admin');
  await r.getByRole('button', { name: `Save role of ${email}` }).click();
  await expect(page.getByRole('main').getByText(`${email} now has the role Admin.`)).toBeVisible();
  await expect(r.getByLabel(`Role of ${email}`, { exact: true })).toHaveValue('admin');

  await r.getByText('Edit permissions').click();
  const locked = r.getByRole('checkbox', { name: 'members.manage (from the role)' });
  await expect(locked).toBeChecked();
  await expect(locked).toBeDisabled();
  await expect(r.getByText('Ticked and locked: what the role Admin gives.')).toBeVisible();
  await r.getByRole('checkbox', { name: 'org.manage', exact: true }).check();
  await r.getByRole('button', { name: 'Save permissions' }).click();
  await expect(page.getByRole('main').getByText(`Saved the direct permissions of ${email}: org.manage.`)).toBeVisible();
  await expect(row(page, email)).toContainText('Direct: org.manage');

  const got = await api('GET', `/v1/account-memberships/${m.id}`);
  expect(got.body.data.role.slug).toBe('admin');
  expect(got.body.data.permissions).toEqual(['org.manage']);
});

test('a stale edit says someone else changed the member', async ({ page }, testInfo) => {
  const acct = await account(`Stale ${uid()}`);
  const email = `sam-${uid()}@e2e.example`;
  const m = await member(acct, { email });
  await signIn(page, owner);
  await page.goto(`/accounts/${acct}`);
  // Someone else changes the member after the page was loaded.
  expect((await api('PATCH', `/v1/account-memberships/${m.id}`, { role: 'owner' })).status).toBe(200);
  const r = row(page, email);
  await r.getByLabel(`Role of ${email}`, { exact: true }).selectOption('admin');
  await r.getByRole('button', { name: `Save role of ${email}` }).click();
  await expect(row(page, email).getByRole('alert')).toContainText('Someone changed this member since you loaded the page: their role is now Owner.');
  // The select shows the role the member really has, the reason next to it.
  await expect(row(page, email).getByLabel(`Role of ${email}`, { exact: true })).toHaveValue('owner');
  expect((await api('GET', `/v1/account-memberships/${m.id}`)).body.data.role.slug).toBe('owner');
  await expectAccessible(page, testInfo);
});

test('removes a member after confirmation', async ({ page }, testInfo) => {
  const acct = await account(`Remove ${uid()}`);
  const email = `rex-${uid()}@e2e.example`;
  const team = await api('POST', '/v1/workspace-memberships', { email, role: 'support' });
  expect(team.status).toBe(201);
  const m = await member(acct, { workspace_membership_id: team.body.data.id });
  await signIn(page, owner);
  await page.goto(`/accounts/${acct}`);
  const r = row(page, email);
  await expect(r).toContainText('Active');
  if (noJS(testInfo)) {
    await r.getByRole('button', { name: `Remove ${email}` }).click();
    await expect(page.getByRole('heading', { name: new RegExp(`^Remove ${email}`) })).toBeVisible();
    await expectAccessible(page, testInfo);
    await page.getByRole('button', { name: 'Remove member' }).click();
  } else {
    // The confirmation page exists with scripts too (a link opened in a new tab).
    await page.goto(`/accounts/${acct}/members/${m.id}/remove`);
    await expectAccessible(page, testInfo);
    await page.getByRole('link', { name: 'Cancel' }).click();
    page.once('dialog', (d) => d.accept());
    await row(page, email).getByRole('button', { name: `Remove ${email}` }).click();
  }
  await expect(page.getByRole('main').getByText(`Removed ${email} from the account.`)).toBeVisible();
  expect((await api('GET', `/v1/account-memberships/${m.id}`)).status).toBe(404);
  await page.reload();
  await expect(row(page, email)).toHaveCount(0);
});

test('resends an invitation, copies its link and revokes it', async ({ page }, testInfo) => {
  const acct = await account(`Resend ${uid()}`);
  const email = `ivy-${uid()}@e2e.example`;
  const m = await member(acct, { email });
  await signIn(page, owner);
  await page.goto(`/accounts/${acct}`);

  const r = row(page, email);
  await r.getByText('Invitation link', { exact: true }).click();
  const first = await r.locator('.invite-link').inputValue();
  expect(first).toBe(m.invitation.accept_url);
  await r.getByRole('button', { name: 'Resend invitation' }).click();
  await expect(page.getByRole('main').getByText(`Sent a new invitation to ${email}`)).toBeVisible();
  const second = await row(page, email).locator('.invite-link').inputValue();
  expect(second).toMatch(/\/invitations\/[0-9A-Za-z]+$/);
  expect(second).not.toBe(first);
  if (!noJS(testInfo)) {
    const copy = row(page, email).getByRole('button', { name: 'Copy' });
    await copy.click();
    await expect(row(page, email).getByRole('button', { name: 'Copied' })).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(second);
  }

  await confirm(page, testInfo, `Revoke the invitation of ${email}`, 'Revoke invitation');
  await expect(page.getByRole('main').getByText(`Revoked the invitation of ${email}: its link no longer works.`)).toBeVisible();
  const events = await api('GET', `/v1/events?membership_id=${m.id}`);
  expect(events.body.data.map((e: any) => e.type)).toContain('invitation.revoked');
  const gone = await fetch(second);
  expect(gone.status).toBe(404);
});

test('links a workspace member, who is active at once', async ({ page }) => {
  const acct = await account(`Link ${uid()}`);
  await signIn(page, owner);
  await page.goto(`/accounts/${acct}`);
  await open(page, 'Link team members…');
  const section = page.locator('#link-members');
  await section.getByLabel(support.email).check();
  await section.getByLabel('Role').selectOption('member');
  await section.getByRole('button', { name: 'Link selected' }).click();
  await expect(page.getByRole('main').getByText(new RegExp(`Linked ${support.email}|${support.email}: linked`))).toBeVisible();
  await expect(row(page, support.email)).toContainText('Active');
  await expect(page.locator('#link-members').getByLabel(support.email)).toHaveCount(0);
});

test('filters, searches and pages through the members', async ({ page }, testInfo) => {
  test.slow(); // 53 members and pages of 50 rows
  const acct = await account(`Many ${uid()}`);
  const tag = uid();
  await Promise.all(
    Array.from({ length: 52 }, (_, i) =>
      member(acct, { email: `m${String(i).padStart(2, '0')}-${tag}@e2e.example`, role: i % 10 === 0 ? 'admin' : 'member' }),
    ),
  );
  const team = await api('POST', '/v1/workspace-memberships', { email: `boss-${tag}@e2e.example`, role: 'admin' });
  await member(acct, { workspace_membership_id: team.body.data.id, role: 'owner' });
  await signIn(page, owner);
  await page.goto(`/accounts/${acct}`);
  const rows = page.locator('#members-results tbody tr');
  await expect(rows).toHaveCount(50);

  await page.getByRole('link', { name: 'Next page' }).click();
  await expect(rows).toHaveCount(3);
  await expect(page).toHaveURL(/after=am_/);
  await expect(rows.last()).toContainText(`boss-${tag}`);
  await page.getByRole('link', { name: 'First page' }).click();
  await expect(rows).toHaveCount(50);

  const filter = async () => {
    if (noJS(testInfo)) await page.getByRole('button', { name: 'Filter' }).click();
  };
  await page.getByLabel('Status').selectOption('active');
  await filter();
  await expect(rows).toHaveCount(1);
  await expect(page).toHaveURL(/status=active/);
  await page.getByLabel('Status').selectOption('');
  await page.locator('#filter-role').selectOption('admin');
  await filter();
  await expect(rows).toHaveCount(6);
  await page.locator('#filter-role').selectOption('');
  await page.getByLabel('Search by email or name').fill(`M1`);
  await filter();
  await expect(rows).toHaveCount(10);
  await expect(page.locator('#members-results')).toContainText(`m19-${tag}`);
  await page.getByLabel('Search by email or name').fill(`nobody-${tag}`);
  await filter();
  await expect(page.getByRole('main').getByText('No member matches these filters.')).toBeVisible();
});

test('an invitee accepts through the copied link and becomes active', async ({ page, browser }, testInfo) => {
  const name = `Welcome ${uid()}`;
  const acct = await account(name);
  const email = `nina-${uid()}@e2e.example`;
  await signIn(page, owner);
  await page.goto(`/accounts/${acct}`);
  await open(page, 'Invite people…');
  await page.getByLabel('Email addresses').fill(email);
  await page.getByRole('button', { name: 'Send invitations' }).click();
  await expect(row(page, email)).toContainText('Invited');
  const link = await row(page, email).locator('.invite-link').inputValue();

  // Signed out, in a browser of its own.
  const visitor = await browser.newContext({ javaScriptEnabled: !noJS(testInfo) });
  const invitee = await visitor.newPage();
  await invitee.goto(link);
  await expect(invitee.getByRole('heading', { name: `Join ${name}` })).toBeVisible();
  await expect(invitee.getByText(`${owner.email} invited ${email}`)).toBeVisible();
  await expect(invitee.getByRole('heading', { name: 'What happens next' })).toBeVisible();
  // The invitee is no staff: the header's Roster leads nowhere near the staff sign-in.
  await expect(invitee.getByRole('link', { name: 'Roster' })).toHaveCount(0);
  await expect(invitee.locator('a[href^="/login"], a[href="/accounts"]')).toHaveCount(0);
  await expectAccessible(invitee, testInfo);
  await screenshot(invitee, testInfo, 'invitation');
  await invitee.getByLabel('Your name (optional)').fill('Nina Novak');
  await invitee.getByRole('button', { name: 'Accept invitation' }).click();
  await expect(invitee.getByRole('heading', { name: `You have joined ${name}` })).toBeVisible();
  await invitee.goto(link);
  await expect(invitee.getByRole('heading', { name: 'This invitation is no longer valid' })).toBeVisible();
  await visitor.close();

  await page.goto(`/accounts/${acct}?status=active`);
  await expect(row(page, email)).toContainText('Nina Novak');
  await expect(row(page, email)).toContainText('Active');
});

test('support staff may only resend invitations and copy their links', async ({ page }) => {
  const acct = await account(`Support ${uid()}`);
  const email = `sue-${uid()}@e2e.example`;
  const m = await member(acct, { email });
  await signIn(page, support);
  await page.goto(`/accounts/${acct}`);
  const r = row(page, email);
  await expect(r).toContainText('Member');
  await expect(page.getByRole('heading', { name: 'Invite by email' })).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'Link workspace members' })).toHaveCount(0);
  await expect(r.getByRole('combobox')).toHaveCount(0);
  await expect(r.getByText('Edit permissions')).toHaveCount(0);
  await expect(r.getByRole('button', { name: /^Revoke/ })).toHaveCount(0);
  await expect(r.locator('.invite-link')).toHaveValue(m.invitation.accept_url);
  await r.getByRole('button', { name: 'Resend invitation' }).click();
  await expect(page.getByRole('main').getByText(`Sent a new invitation to ${email}`)).toBeVisible();

  const token = await page.locator('input[name="_csrf"]').first().inputValue();
  for (const action of ['role', 'permissions', 'remove', 'revoke']) {
    const forged = await page.request.post(`/accounts/${acct}/members/${m.id}/${action}`, { form: { _csrf: token, role: 'owner' } });
    expect(forged.status()).toBe(403);
  }
  const invite = await page.request.post(`/accounts/${acct}/invite`, { form: { _csrf: token, emails: 'x@e2e.example' } });
  expect(invite.status()).toBe(403);
  const now = await api('GET', `/v1/account-memberships/${m.id}`);
  expect(now.body.data.role.slug).toBe('member');
});

test('a test-mode account’s members are never shown in live mode', async ({ page }) => {
  const name = `Sandbox ${uid()}`;
  const acct = await account(name, 'test');
  const email = `sandy-${uid()}@e2e.example`;
  await member(acct, { email }, 'test');
  await signIn(page, owner);
  await page.goto(`/accounts/${acct}`);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await expect(page.getByRole('main').getByText(email)).toHaveCount(0);
  await switchMode(page, 'test');
  await expect(page.getByText('Test mode: you are looking at test data')).toBeVisible();
  await page.goto(`/accounts/${acct}`);
  await expect(row(page, email)).toContainText('Invited');
});
