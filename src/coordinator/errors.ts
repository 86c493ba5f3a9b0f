/** Typed coordinator failures; the token service maps `code` to a CKR value (NOT_ENOUGH_NODES → CKR_DEVICE_ERROR). */
export type CoordinatorErrorCode = 'NOT_ENOUGH_NODES' | 'INSTALL_FAILED' | 'INVALID_REQUEST' | 'CLOSED';

export class CoordinatorError extends Error {
  override readonly name = 'CoordinatorError';
  constructor(
    readonly code: CoordinatorErrorCode,
    message: string,
    /** Node id → why it did not contribute (down, timeout, invalid share…). */
    readonly nodes: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}
