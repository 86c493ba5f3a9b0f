/** An expected mistake of the user (bad flag, missing file…): printed as one line, exit status 2. */
export class UserError extends Error {
  override readonly name = 'UserError';
}
