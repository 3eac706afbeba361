// The staff the suite signs in as; global-setup creates them.
export const owner = { email: 'owner@e2e.example', password: 'owner password e2e' };
export const support = { email: 'support@e2e.example', password: 'support password e2e' };
export const admin = { email: 'admin@e2e.example', password: 'admin password e2e' };

/**
 * The owner of a workspace of its own for one Playwright project, for
 * changes that would disturb the other tests, such as the default role.
 */
export function loneOwner(project: string): { email: string; password: string; workspace: string } {
  return { email: `owner-${project}@alone.e2e.example`, password: 'lone owner password e2e', workspace: `E2E alone ${project}` };
}

/** The projects of playwright.config.ts. */
export const projects = ['js', 'no-js'];
