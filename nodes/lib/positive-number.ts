/**
 * A positive finite number from an editor field or a TOML value: a number, or a string that
 * holds one (editor fields arrive as text); null for anything else (empty, 0, negative, NaN).
 * Every "how many MB / ms / minutes" setting of the nodes reads its value through this.
 */
export function positiveNumber(value: unknown): number | null {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : null;
}
