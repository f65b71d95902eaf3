// Errors that cross a component boundary carry a stable code (SY_ERR_*), so
// callers, tests and operators can match on the code instead of the sentence.
export class SwitchyardError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'SwitchyardError';
  }
}
