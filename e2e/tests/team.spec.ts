import { expect, owner, screenshot, signIn, support, test, uid } from './fixtures';

test('lists the staff and adds someone, refusing a duplicate', async ({ page }, testInfo) => {
  await signIn(page, owner);
  await page.getByRole('link', { name: 'Team' }).click();
  const staff = page.locator('tbody');
  await expect(staff).toContainText(owner.email);
  await expect(staff).toContainText(support.email);

  const email = `colleague-${uid()}@e2e.example`;
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Console role').selectOption('admin');
  await page.getByRole('button', { name: 'Add to the team' }).click();
  await expect(page.getByRole('status')).toHaveText(`Added ${email} to the team as admin.`);
  await expect(page.locator('tbody tr', { hasText: email })).toContainText('admin');
  await screenshot(page, testInfo, 'team');

  await page.getByLabel('Email').fill(email.toUpperCase());
  await page.getByRole('button', { name: 'Add to the team' }).click();
  await expect(page.getByText("This person is already on the workspace's staff.")).toBeVisible();
  await expect(page.getByLabel('Email')).toHaveValue(email.toUpperCase());
});
