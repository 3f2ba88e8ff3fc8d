// How a user's value appears in a message.

/** Quotes a user value for an error message; long values are cut so the message stays readable. */
export function shown(value: string): string {
  return JSON.stringify(value.length > 120 ? `${value.slice(0, 117)}...` : value);
}
