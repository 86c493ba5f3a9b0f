/** Typed failures of the node store; the daemon and the CLI map `code`, operators read `message`. */
export type NodeStoreErrorCode =
  | 'WRONG_KEK'
  | 'BAD_PERMISSIONS'
  | 'CONFLICT'
  | 'CORRUPT'
  | 'INVALID'
  | 'EXISTS'
  | 'MISSING';

/**
 * One line, meant for an operator. Messages name paths, key ids and counts, never secret bytes,
 * because they end up in logs and RPC answers.
 */
export class NodeStoreError extends Error {
  override readonly name = 'NodeStoreError';
  constructor(
    readonly code: NodeStoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** An fs error on `path` as one operator-readable line. */
export function fileError(path: string, err: unknown): NodeStoreError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new NodeStoreError('MISSING', `${path} does not exist`);
  if (code === 'EEXIST') return new NodeStoreError('EXISTS', `${path} already exists: refusing to overwrite it`);
  if (code === 'EACCES') return new NodeStoreError('BAD_PERMISSIONS', `${path} cannot be opened: permission denied`);
  return new NodeStoreError('INVALID', `${path}: ${(err as Error).message}`);
}
