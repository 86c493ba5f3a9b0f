/** Typed failures of the threshold scheme; callers (coordinator, token service) map `code`. */
export type ThresholdErrorCode =
  | 'INVALID_PARAMETERS'
  | 'INVALID_MESSAGE'
  | 'INVALID_SHARE'
  | 'NOT_ENOUGH_SHARES'
  | 'PROOFS_NEEDED'
  | 'COMBINE_FAILED';

export class ThresholdError extends Error {
  override readonly name = 'ThresholdError';
  constructor(
    readonly code: ThresholdErrorCode,
    message: string,
    /** Share indices that failed their proof (for PROOFS_NEEDED / NOT_ENOUGH_SHARES). */
    readonly invalid: readonly number[] = [],
    /** Share indices whose proof is still needed to decide (PROOFS_NEEDED). */
    readonly unproven: readonly number[] = [],
  ) {
    super(message);
  }
}
