import { expect, owner, screenshot, signIn, signOut, test } from './fixtures';

test('signs in and out, with one answer for a wrong email or password', async ({ page }, testInfo) => {
  await page.goto('/accounts');
  await expect(page).toHaveURL(/\/login\?next=%2Faccounts$/);
  await expect(page.getByRole('heading', { name: 'Sign in to Roster' })).toBeVisible();
  await screenshot(page, testInfo, 'login');

  for (const attempt of [
    { email: owner.email, password: 'not the password' },
    { email: `nobody-${testInfo.project.name}@e2e.example`, password: owner.password },
  ]) {
    await page.getByLabel('Email').fill(attempt.email);
    await page.getByLabel('Password').fill(attempt.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert')).toHaveText('The email or the password is wrong.');
    await expect(page.getByLabel('Email')).toHaveValue(attempt.email);
  }

  await page.getByLabel('Email').fill(owner.email);
  await page.getByLabel('Password').fill(owner.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/accounts$/);
  await expect(page.getByText(owner.email)).toBeVisible();

  await signOut(page);
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('status')).toHaveText('You have signed out.');
  await page.goto('/team');
  await expect(page).toHaveURL(/\/login\?next=%2Fteam$/);
});

test('brings you back to the page you asked for', async ({ page }) => {
  await page.goto('/activity');
  await page.getByLabel('Email').fill(owner.email);
  await page.getByLabel('Password').fill(owner.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/activity$/);
  await expect(page.getByRole('heading', { name: 'Activity' })).toBeVisible();
});

test('shows a 404 page for an unknown address', async ({ page }, testInfo) => {
  await signIn(page, owner);
  const res = await page.goto('/no-such-page');
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await screenshot(page, testInfo, 'not-found');
});
