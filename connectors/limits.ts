// Length limits on what devices and clouds send (docs/operations.md, "Input limits"). Ids bound what a processor
// keeps per device (a 64 KiB boot id held with every reading would push a device's state past the changelog's
// record limit); free text bounds a record's size. A longer value is a dead letter, never cut silently.

/** Device, station, account and boot ids: the registry's own bound (Postgres domain `external_id`). */
export const MAX_ID_LENGTH = 200;

/** Free text from a device or a cloud: firmware versions, switch states, names. */
export const MAX_TEXT_LENGTH = 256;

/** Names in a dead letter (topic, key) longer than `max` keep their start and say how long they were. */
export function clip(text: string, max = MAX_ID_LENGTH): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}
