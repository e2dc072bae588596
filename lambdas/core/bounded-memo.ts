/**
 * Memoization for pure functions of a string that a report calls with a few recurring values (a
 * scan's timestamps, a log's fingerprint keys). The memo is emptied when it reaches `maxEntries`,
 * so a crafted input with a new value per entry costs a recomputation, never unbounded memory.
 */
export function memoizeBounded<V>(compute: (key: string) => V, maxEntries: number): (key: string) => V {
  const memo = new Map<string, V>();
  return (key) => {
    const known = memo.get(key);
    if (known !== undefined || memo.has(key)) return known as V;
    const value = compute(key);
    if (memo.size >= maxEntries) memo.clear();
    memo.set(key, value);
    return value;
  };
}
