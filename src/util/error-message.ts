// What is said of an error in logs and on a terminal: its message only. A driver's error
// carries more (a PostgreSQL error's detail may quote a row's values, a patient's among
// them), so logs never get the error object itself.

/** An error's message, or the thrown value as text. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The `err` field of a log line: the message alone. */
export function loggedError(err: unknown): { message: string } {
  return { message: errorMessage(err) };
}
