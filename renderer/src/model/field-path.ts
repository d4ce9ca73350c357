/** Reads `servers[1].port` or `failback.interval` out of a line input, the way error paths name them. */
export function valueAt(root: unknown, path: string): unknown {
  let value: unknown = root;
  for (const part of path.match(/[^.[\]]+/g) ?? []) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
