import { type Locator, type Page } from '@playwright/test';

import { api, expect, expectAccessible, loneOwner, noJS, owner, screenshot, signIn, switchMode, test, uid } from './fixtures';

/** The id of the role with this slug, through the API. */
async function roleID(slug: string): Promise<string> {
  const { status, body } = await api('GET', `/v1/roles/${slug}`);
  expect(status).toBe(200);
  return body.data.id;
}

/** A role's card on the roles page. */
async function roleCard(page: Page, slug: string): Promise<Locator> {
  return page.locator(`#role-${await roleID(slug)}`);
}

/**
 * Follows a destructive control: with scripts it posts after the browser's
 * confirm dialog; without, it leads to a confirmation page whose button
 * posts.
 */
async function confirmed(page: Page, control: Locator, confirmButton: string, js: boolean): Promise<void> {
  if (js) {
    page.once('dialog', (d) => d.accept());
    await control.click();
    return;
  }
  await control.click();
  await page.getByRole('button', { name: confirmButton }).click();
}

test('creates, edits and deletes a role', async ({ page }, testInfo) => {
  const js = !noJS(testInfo);
  const slug = `e2e-${uid()}`;
  await signIn(page, owner);
  await page.getByRole('link', { name: 'Roles', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Roles and permissions' })).toBeVisible();

  const create = page.locator('#new-role');
  await expect(create.getByText('A lower-case letter, then up to 39')).toBeVisible();
  await create.getByLabel('Slug').fill('Not A Slug');
  await create.getByLabel('Name', { exact: true }).fill('Reviewer');
  await create.getByLabel('members.read').check();
  await create.getByRole('button', { name: 'Create role' }).click();
  await expect(create.getByText('The slug must be a lower-case letter followed by up to 39')).toBeVisible();
  await expect(create.getByLabel('Slug')).toHaveAttribute('aria-invalid', 'true');
  await expect(create.getByLabel('Name', { exact: true })).toHaveValue('Reviewer');
  await expect(create.getByLabel('members.read')).toBeChecked();
  await expectAccessible(page, testInfo);

  await create.getByLabel('Slug').fill(slug);
  await create.getByLabel('Description (optional)').fill('Reviews the members');
  await create.getByRole('button', { name: 'Create role' }).click();
  await expect(page.getByRole('status')).toHaveText(`Created the role “Reviewer” (${slug}).`);
  const card = await roleCard(page, slug);
  await expect(card.getByLabel('Name', { exact: true })).toHaveValue('Reviewer');
  await expect(card.getByLabel('members.read')).toBeChecked();
  await expect(card.getByLabel('billing.read')).not.toBeChecked();

  // A second role with the slug is refused next to the slug.
  await page.locator('#new-role').getByLabel('Slug').fill(slug);
  await page.locator('#new-role').getByLabel('Name', { exact: true }).fill('Again');
  await page.locator('#new-role').getByRole('button', { name: 'Create role' }).click();
  await expect(page.locator('#new-role').getByText('A role with this slug already exists.')).toBeVisible();

  await card.getByLabel('Name', { exact: true }).fill('Senior reviewer');
  await card.getByLabel('billing.read').check();
  await card.getByLabel('members.read').uncheck();
  await card.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('status')).toHaveText('Saved the role “Senior reviewer”.');
  await page.reload();
  await expect(card.getByLabel('billing.read')).toBeChecked();
  await expect(card.getByLabel('members.read')).not.toBeChecked();
  const { body } = await api('GET', `/v1/roles/${slug}`);
  expect(body.data).toMatchObject({ name: 'Senior reviewer', permissions: ['billing.read'], description: 'Reviews the members' });
  await screenshot(page, testInfo, 'roles');

  if (!js) {
    await card.getByRole('button', { name: 'Delete the role Senior reviewer' }).click();
    await expect(page.getByRole('heading', { name: 'Delete the role Senior reviewer?' })).toBeVisible();
    await expectAccessible(page, testInfo);
    await page.goBack();
  }
  await confirmed(page, card.getByRole('button', { name: 'Delete the role Senior reviewer' }), 'Delete role', js);
  await expect(page.getByRole('status')).toHaveText('Deleted the role “Senior reviewer”.');
  await expect(card).toHaveCount(0);
  expect((await api('GET', `/v1/roles/${slug}`)).status).toBe(404);
});

test('shows what cannot be done as disabled with its reason, and refuses to delete a role in use, saying why next to it', async ({ page }, testInfo) => {
  const js = !noJS(testInfo);
  const slug = `held-${uid()}`;
  expect((await api('POST', '/v1/roles', { slug, name: `Held ${slug}` })).status).toBe(201);
  const account = await api('POST', '/v1/accounts', { name: `Holder ${slug}` });
  expect(account.status).toBe(201);
  const member = await api('POST', `/v1/accounts/${account.body.data.id}/memberships`, { email: `${slug}@e2e.example`, role: slug, send_email: false });
  expect(member.status).toBe(201);

  await signIn(page, owner);
  await page.goto('/roles');
  // The owner role and the default role offer no action that would only be refused.
  for (const [role, why] of [
    ['owner', 'The owner role is permanent, and members added without a role never get it: it cannot be deleted or made the default.'],
    ['member', 'This is the default role: make another role the default before deleting it.'],
  ]) {
    const card = await roleCard(page, role);
    const del = card.getByRole('button', { name: 'Delete…' });
    await expect(del).toBeDisabled();
    await expect(del).toHaveAccessibleDescription(why);
    await expect(card.getByRole('button', { name: 'Make default' })).toHaveCount(0);
    await expect(card.getByRole('link', { name: /^Delete/ })).toHaveCount(0);
  }
  // Whether members hold a role, only the store knows: it refuses, next to the role.
  const card = await roleCard(page, slug);
  await confirmed(page, card.getByRole('button', { name: `Delete the role Held ${slug}` }), 'Delete role', js);
  await expect(card.getByRole('alert')).toHaveText('Members hold this role: give them another role first.');
  await expectAccessible(page, testInfo);
  await page.setViewportSize({ width: 1280, height: 900 });
  await screenshot(page, testInfo, 'roles-1280');
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, testInfo, 'roles-390');
  expect((await api('GET', `/v1/roles/${slug}`)).status).toBe(200);
});

test('makes another role the default', async ({ page }, testInfo) => {
  // In a workspace of this project's own: the default role is the
  // workspace's, and other tests add members with it.
  await signIn(page, loneOwner(testInfo.project.name));
  await page.goto('/roles');
  const admin = page.locator('article', { has: page.getByRole('heading', { name: /^Admin/ }) });
  const member = page.locator('article', { has: page.getByRole('heading', { name: /^Member/ }) });
  await expect(member.getByText('default role', { exact: true })).toBeVisible();
  await expect(member.getByRole('button', { name: 'Make default' })).toHaveCount(0);

  await admin.getByRole('button', { name: 'Make default' }).click();
  await expect(page.getByRole('status')).toHaveText('“Admin” is now the default role: members added without a role get it.');
  await expect(admin.getByText('default role', { exact: true })).toBeVisible();
  await expect(member.getByText('default role', { exact: true })).toHaveCount(0);

  await member.getByRole('button', { name: 'Make default' }).click();
  await expect(page.getByRole('status')).toHaveText('“Member” is now the default role: members added without a role get it.');
  await expect(member.getByText('default role', { exact: true })).toBeVisible();
  await expect(admin.getByRole('button', { name: 'Make default' })).toBeVisible();
});

test('adds a permission with its key rule shown, and offers no delete for one in use', async ({ page }, testInfo) => {
  const js = !noJS(testInfo);
  const key = `e2e.${uid()}`;
  await signIn(page, owner);
  await page.goto('/roles');
  const add = page.locator('#new-permission');
  await expect(add.getByText('A lower-case letter, then up to 63')).toBeVisible();
  await add.getByLabel('Key').fill('Bad Key');
  await add.getByLabel('Description (optional)').fill('Kept as typed');
  await add.getByRole('button', { name: 'Add permission' }).click();
  await expect(add.getByText('The key must be a lower-case letter followed by up to 63')).toBeVisible();
  await expect(add.getByLabel('Description (optional)')).toHaveValue('Kept as typed');

  await add.getByLabel('Key').fill(key);
  await add.getByRole('button', { name: 'Add permission' }).click();
  await expect(page.getByRole('status')).toHaveText(`Added the permission ${key} to the catalog.`);
  const row = page.locator('#permissions tbody tr', { hasText: key });
  await expect(row).toContainText('Kept as typed');
  await expect(row).toContainText('none');

  const held = page.locator('#permissions tbody tr', { hasText: 'billing.read' });
  await expect(held).toContainText('owner, admin, member');
  const heldDelete = held.getByRole('button', { name: 'Delete…' });
  await expect(heldDelete).toBeDisabled();
  await expect(heldDelete).toHaveAccessibleDescription('Held by the roles owner, admin, member: take it from them first.');
  await expectAccessible(page, testInfo);

  await confirmed(page, page.locator('#permissions tbody tr', { hasText: key }).getByRole('button', { name: `Delete the permission ${key}` }), 'Delete permission', js);
  await expect(page.getByRole('status')).toHaveText(`Deleted the permission ${key} from the catalog.`);
  await expect(page.locator('#permissions tbody tr', { hasText: key })).toHaveCount(0);
  expect((await api('GET', `/v1/permissions/${key}`)).status).toBe(404);
});

test('in test mode the roles and the catalog are shown disabled, saying why', async ({ page }) => {
  await signIn(page, owner);
  await switchMode(page, 'test');
  await page.getByRole('link', { name: 'Roles', exact: true }).click();
  await expect(page.getByText('Roles and the permission catalog change in live mode only')).toBeVisible();
  const member = await roleCard(page, 'member');
  await expect(member.getByRole('button', { name: 'Save changes' })).toBeDisabled();
  await expect(member.getByRole('checkbox').first()).toBeDisabled();
  await expect(member.getByRole('button', { name: /^Delete/ })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Create role' })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Add permission' })).toBeDisabled();
});
