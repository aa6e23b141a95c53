// Id lists equal element for element (typed arrays and plain arrays alike);
// null, for "this side errored", equals only null.
export function sameIds(a: ArrayLike<number> | null, b: ArrayLike<number> | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
