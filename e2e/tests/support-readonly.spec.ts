import { api, expect, signIn, support, test } from './fixtures';

test('support staff see the roles and the team read only, and forged changes are refused', async ({ page }) => {
  await signIn(page, support);
  await page.getByRole('link', { name: 'Roles', exact: true }).click();
  const member = page.locator('article', { has: page.getByRole('heading', { name: /^Member/ }) });
  await expect(member).toContainText('Permissions: billing.read, members.read');
  await expect(page.locator('#permissions tbody')).toContainText('members.manage');
  for (const name of ['Save changes', 'Make default', 'Delete…', 'Create role', 'Add permission']) {
    await expect(page.getByRole('button', { name })).toHaveCount(0);
  }

  await page.getByRole('link', { name: 'Team' }).click();
  await expect(page.locator('#staff')).toContainText(support.email);
  for (const name of [/^Change role/, /^Remove/, /^Add to the team/]) {
    await expect(page.getByRole('button', { name })).toHaveCount(0);
  }

  // Forged form posts, with a valid CSRF token, are refused by the server.
  const token = await page.locator('input[name="_csrf"]').first().inputValue();
  const { body } = await api('GET', '/v1/roles/member');
  const staff = await api('GET', '/v1/workspace-memberships?limit=100');
  const ownerID = staff.body.data.find((wm: any) => wm.role === 'owner').id;
  for (const [path, form] of [
    ['/roles', { slug: 'forged', name: 'Forged' }],
    [`/roles/${body.data.id}`, { name: 'Forged' }],
    [`/roles/${body.data.id}/delete`, {}],
    ['/permissions', { key: 'forged.key' }],
    ['/permissions/members.read/delete', {}],
    [`/team/${ownerID}/role`, { role: 'support' }],
    [`/team/${ownerID}/remove`, {}],
  ] as [string, Record<string, string>][]) {
    const res = await page.request.post(path, { form: { _csrf: token, ...form } });
    expect(res.status(), path).toBe(403);
  }
  expect((await api('GET', '/v1/roles/member')).body.data.name).toBe('Member');
  expect((await api('GET', '/v1/roles/forged')).status).toBe(404);
});
