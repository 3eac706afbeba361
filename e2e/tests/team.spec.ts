import { type Locator, type Page } from '@playwright/test';

import { admin, api, expect, expectAccessible, noJS, owner, screenshot, signIn, support, switchMode, test, uid } from './fixtures';

/** A staff member's row of the team page. */
function staffRow(page: Page, email: string): Locator {
  return page.locator('#staff tbody tr', { hasText: email });
}

/** Puts a new person on the staff through the API and returns their email. */
async function newStaff(role: string): Promise<string> {
  const email = `staff-${uid()}@e2e.example`;
  expect((await api('POST', '/v1/workspace-memberships', { email, role })).status).toBe(201);
  return email;
}

/** Changes the console role on a row. */
async function changeRole(page: Page, email: string, role: string): Promise<void> {
  await staffRow(page, email).getByLabel(`Console role of ${email}`).selectOption(role);
  await staffRow(page, email).getByRole('button', { name: 'Change role' }).click();
}

/** Removes someone: after the dialog with scripts, the confirmation page without. */
async function remove(page: Page, email: string, js: boolean): Promise<void> {
  const control = staffRow(page, email).getByRole('button', { name: /^Remove/ });
  if (js) {
    page.once('dialog', (d) => d.accept());
    await control.click();
    return;
  }
  await control.click();
  await expect(page.getByRole('heading', { name: `Take ${email} off the team?` })).toBeVisible();
  await page.getByRole('button', { name: 'Remove from the team' }).click();
}

test('lists the staff and adds someone, refusing a duplicate', async ({ page }, testInfo) => {
  await signIn(page, owner);
  await page.getByRole('link', { name: 'Team' }).click();
  const staff = page.locator('tbody');
  await expect(staff).toContainText(owner.email);
  await expect(staff).toContainText(support.email);

  const email = `colleague-${uid()}@e2e.example`;
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Console role', { exact: true }).selectOption('admin');
  await page.getByRole('button', { name: 'Add to the team' }).click();
  await expect(page.getByRole('status')).toHaveText(
    `Added ${email} to the team as admin. They were emailed a link to set their password.`);
  await expect(staffRow(page, email).getByLabel(`Console role of ${email}`)).toHaveValue('admin');
  await screenshot(page, testInfo, 'team');
  await expectAccessible(page, testInfo);

  await page.getByLabel('Email').fill(email.toUpperCase());
  await page.getByRole('button', { name: 'Add to the team' }).click();
  await expect(page.getByText("This person is already on the workspace's staff.")).toBeVisible();
  await expect(page.getByLabel('Email')).toHaveValue(email.toUpperCase());
});

test('an owner changes roles and removes someone; not on their own row', async ({ page }, testInfo) => {
  const js = !noJS(testInfo);
  const email = await newStaff('support');
  await signIn(page, owner);
  await page.goto('/team');
  await expect(staffRow(page, owner.email)).toContainText('you');
  await expect(staffRow(page, owner.email).getByRole('button', { name: 'Change role' })).toHaveCount(0);

  await changeRole(page, email, 'owner');
  await expect(page.getByRole('status')).toHaveText(`${email} is now owner.`);
  await changeRole(page, email, 'admin');
  await expect(page.getByRole('status')).toHaveText(`${email} is now admin.`);
  await expect(staffRow(page, email).getByLabel(`Console role of ${email}`)).toHaveValue('admin');

  if (!js) {
    await staffRow(page, email).getByRole('button', { name: /^Remove/ }).click();
    await expectAccessible(page, testInfo);
    await page.goBack();
  }
  await remove(page, email, js);
  await expect(page.getByRole('status')).toHaveText(`Took ${email} off the team.`);
  await expect(staffRow(page, email)).toHaveCount(0);
});

test("an admin meets the store's rules next to the row", async ({ page }, testInfo) => {
  const js = !noJS(testInfo);
  const email = await newStaff('support');
  await signIn(page, admin);
  await page.goto('/team');
  const ownerOnly = 'Only an owner may grant or take away the workspace role owner.';

  await changeRole(page, email, 'owner');
  await expect(staffRow(page, email)).toContainText(ownerOnly);
  await expect(staffRow(page, email).getByLabel(`Console role of ${email}`)).toHaveValue('owner'); // as chosen
  await expectAccessible(page, testInfo);

  await changeRole(page, owner.email, 'support');
  await expect(staffRow(page, owner.email)).toContainText(ownerOnly);
  await remove(page, owner.email, js);
  await expect(staffRow(page, owner.email)).toContainText(ownerOnly);

  const staff = await api('GET', '/v1/workspace-memberships?limit=100');
  const roles = Object.fromEntries(staff.body.data.map((wm: any) => [wm.user.email, wm.role]));
  expect(roles[owner.email]).toBe('owner');
  expect(roles[email]).toBe('support');

  // What an admin may do, they do.
  await remove(page, email, js);
  await expect(page.getByRole('status')).toHaveText(`Took ${email} off the team.`);
});

test('in test mode the team controls are shown disabled, saying why', async ({ page }) => {
  await signIn(page, admin);
  await switchMode(page, 'test');
  await page.getByRole('link', { name: 'Team' }).click();
  await expect(page.getByText('The team changes in live mode only')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Add to the team' })).toBeDisabled();
  await expect(staffRow(page, support.email).getByRole('button', { name: 'Change role' })).toBeDisabled();
  await expect(staffRow(page, support.email).getByRole('button', { name: /^Remove/ })).toBeDisabled();
});
