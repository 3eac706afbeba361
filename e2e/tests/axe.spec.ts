import { type Page } from '@playwright/test';
import { api, expect, expectAccessible, noJS, owner, signIn, switchMode, test } from './fixtures';

// axe-core runs inside the page, so these checks need JavaScript. One test
// per page keeps each within its time budget on a busy machine.
test.describe('no serious or critical accessibility violation', () => {
  test.describe.configure({ timeout: 60_000 });
  test.beforeEach(async ({}, testInfo) => {
    test.skip(noJS(testInfo), 'axe needs scripts in the page');
  });

  test('on the sign-in page, also with the browser refusing empty fields', async ({ page }, testInfo) => {
    await page.goto('/login');
    await expectAccessible(page, testInfo);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectAccessible(page, testInfo);
  });

  /** The id of one of the workspace's API keys, from its page. */
  async function someKey(page: Page): Promise<string> {
    const keys = await page.request.get('/api-keys');
    expect(keys.ok()).toBe(true);
    const id = /id="key-(key_[0-9A-Z]+)"/.exec(await keys.text())?.[1];
    expect(id).toBeTruthy();
    return id!;
  }

  /** The id of a live webhook endpoint that gets (almost) no events, made once. */
  async function someEndpoint(): Promise<string> {
    const url = 'https://127.0.0.1:9/axe';
    const list = await api('GET', '/v1/webhook-endpoints?limit=100');
    const found = list.body.data.find((ep: any) => ep.url === url);
    if (found) return found.id;
    const made = await api('POST', '/v1/webhook-endpoints', { url, enabled_events: ['webhook_endpoint.disabled'] });
    expect(made.status).toBe(201);
    return made.body.data.id;
  }

  const pages: Array<[string, (page: Page) => Promise<string>]> = [
    ['accounts', async () => '/accounts'],
    ['API keys', async () => '/api-keys'],
    ['revoke-key confirmation', async (page) => `/api-keys/${await someKey(page)}/revoke`],
    ['roll-key confirmation', async (page) => `/api-keys/${await someKey(page)}/roll`],
    ['webhooks', async () => '/webhooks'],
    ['webhook endpoint', async () => `/webhooks/${await someEndpoint()}`],
    ['delete-endpoint confirmation', async () => `/webhooks/${await someEndpoint()}/delete`],
    ['activity', async () => '/activity'],
    ['team', async () => '/team'],
    ['not-found', async () => '/no-such-page'],
  ];
  for (const [name, path] of pages) {
    test(`on the ${name} page`, async ({ page }, testInfo) => {
      await signIn(page, owner);
      await page.goto(await path(page));
      await expectAccessible(page, testInfo);
    });
  }

  test('on a form shown again with its errors', async ({ page }, testInfo) => {
    await signIn(page, owner);
    await page.goto('/accounts');
    await page.getByLabel('Name', { exact: true }).fill('x'.repeat(201));
    await page.getByRole('button', { name: 'Create live account' }).click();
    await expect(page.getByText('The name must be at most 200 characters.')).toBeVisible();
    await expectAccessible(page, testInfo);
  });

  test('in test mode, with its banner', async ({ page }, testInfo) => {
    await signIn(page, owner);
    await page.goto('/accounts');
    await switchMode(page, 'test');
    await expect(page.getByText('Test mode: you are looking at test data')).toBeVisible();
    await expectAccessible(page, testInfo);
  });
});
