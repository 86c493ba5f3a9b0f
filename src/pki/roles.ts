/** Who may hold a cluster certificate, and how a holder is named. */

export const ROLES = ['node', 'coordinator', 'dealer', 'ceremony', 'auditor'] as const;

export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Lower case so that names compare byte for byte; short enough for a DNS label and a file name. */
export const IDENTITY_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export function isIdentity(value: unknown): value is string {
  return typeof value === 'string' && IDENTITY_PATTERN.test(value);
}

/** Roles without duplicates, in the order of ROLES, so that equal role sets compare equal. */
export function canonicalRoles(roles: Iterable<Role>): Role[] {
  const set = new Set(roles);
  return ROLES.filter((role) => set.has(role));
}
