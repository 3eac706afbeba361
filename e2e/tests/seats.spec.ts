import { api, confirmAction, expect, expectAccessible, memberRow, owner, screenshot, signIn, test, uid } from './fixtures';

/** Creates an account with a seat limit through the API and returns its id. */
async function seatedAccount(name: string, seatLimit: number | null): Promise<string> {
  const { status, body } = await api('POST', '/v1/accounts', { name, seat_limit: seatLimit });
  expect(status).toBe(201);
  return body.data.id;
}

/** Adds an active member (invited, then accepted) and returns the membership. */
async function activeMember(acct: string, email: string, role: string): Promise<any> {
  const inv = await api('POST', `/v1/account-memberships?account_id=${acct}`, { email, role, send_email: false });
  expect(inv.status).toBe(201);
  const token = inv.body.data.invitation.accept_url.split('/invitations/')[1];
  const res = await fetch(`${process.env.ROSTER_E2E_URL}/v1/invitations/accept`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  expect(res.status).toBe(200);
  return (await res.json()).data;
}

test('counts seats, says why an invitation is refused, and sets the limit', async ({ page }, testInfo) => {
  const name = `Seats ${uid()}`;
  const acct = await seatedAccount(name, 2);
  await signIn(page, owner);
  await page.goto(`/accounts/${acct}`);
  await expect(page.locator('#seat-count')).toContainText('0 of 2 seats');

  const [a, b, c] = ['a', 'b', 'c'].map((p) => `${p}-${uid()}@seats.e2e.example`);
  await page.locator('summary', { hasText: 'Invite people…' }).click();
  await page.getByLabel('Email addresses').fill(`${a}, ${b}, ${c}`);
  await page.getByRole('button', { name: 'Send invitations' }).click();
  const invite = page.locator('#invite-members');
  await expect(invite).toContainText(`${a}: invited`);
  await expect(invite).toContainText(`${c}: not added: all 2 seats of this account are taken (2 of 2 used)`);
  await expect(page.locator('#seat-count')).toContainText('2 of 2 seats');
  await expectAccessible(page, testInfo);
  await screenshot(page, testInfo, 'seats-refused');

  await page.getByRole('link', { name: 'Change the seat limit' }).click();
  await expect(page.getByRole('heading', { name: `Seat limit of ${name}` })).toBeVisible();
  await expectAccessible(page, testInfo);
  await page.getByLabel('Seat limit').fill('3');
  await page.getByRole('button', { name: 'Save seat limit' }).click();
  await expect(page).toHaveURL(new RegExp(`/accounts/${acct}$`));
  await expect(page.getByText('Saved the seat limit: 2 of 3 seats used.')).toBeVisible();
  await expect(page.locator('#seat-count')).toContainText('2 of 3 seats');
});

test('transfers the ownership of an account', async ({ page }, testInfo) => {
  const acct = await seatedAccount(`Ownership ${uid()}`, null);
  const first = await activeMember(acct, `first-${uid()}@own.e2e.example`, 'owner');
  const next = await activeMember(acct, `next-${uid()}@own.e2e.example`, 'member');
  await signIn(page, owner);
  await page.goto(`/accounts/${acct}`);
  await expect(page.locator('#seat-count')).toContainText('2 seats used, no limit');
  await expect(memberRow(page, first.user.email).getByRole('button', { name: /Transfer ownership/ })).toHaveCount(0);
  // The confirmation page, as a browser without scripts reaches it.
  await page.goto(`/accounts/${acct}/members/${next.id}/transfer`);
  await expect(page.getByRole('heading', { name: `Transfer ownership to ${next.user.email}?` })).toBeVisible();
  await expectAccessible(page, testInfo);
  await page.getByRole('link', { name: 'Cancel' }).click();
  await confirmAction(page, testInfo, `Transfer ownership to ${next.user.email}`, 'Transfer ownership');
  await expect(page.getByText(`${next.user.email} is now the owner of the account.`)).toBeVisible();
  await expect(memberRow(page, next.user.email).getByLabel(/Role/)).toHaveValue('owner');
  await expect(memberRow(page, first.user.email).getByLabel(/Role/)).toHaveValue('member');
  await expectAccessible(page, testInfo);
  await screenshot(page, testInfo, 'ownership-transferred');
});
