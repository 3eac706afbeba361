// The staff the suite signs in as; global-setup creates them.
export const owner = { email: 'owner@e2e.example', password: 'owner password e2e' };
export const support = { email: 'support@e2e.example', password: 'support password e2e' };
