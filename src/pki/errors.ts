/** Every refusal of the cluster PKI: one line that names what is wrong, never key material. */
export class PkiError extends Error {
  override readonly name = 'PkiError';
}
