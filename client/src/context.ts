/**
 * @module Which run or span the code is inside. Node (and Workers with
 * `nodejs_compat`) have `AsyncLocalStorage`, which follows `await`; elsewhere a
 * plain stack is used, which is right only until the first `await`, so code in
 * browsers nests steps through the explicit handle each callback receives.
 */

export interface ContextStorage<T> {
  getStore(): T | undefined;
  run<R>(store: T, fn: () => R): R;
  /** True when the context follows `await` (AsyncLocalStorage). */
  readonly followsAwait: boolean;
}

export type AsyncLocalStorageClass = new <T>() => { getStore(): T | undefined; run<R>(store: T, fn: () => R): R };

function findAsyncLocalStorage(): AsyncLocalStorageClass | undefined {
  const g = globalThis as {
    AsyncLocalStorage?: AsyncLocalStorageClass;
    process?: { getBuiltinModule?: (id: string) => { AsyncLocalStorage?: AsyncLocalStorageClass } | undefined };
  };
  if (g.AsyncLocalStorage) return g.AsyncLocalStorage;
  try {
    return g.process?.getBuiltinModule?.("node:async_hooks")?.AsyncLocalStorage;
  } catch {
    return undefined;
  }
}

export function createContextStorage<T>(given?: AsyncLocalStorageClass): ContextStorage<T> {
  const Als = given ?? findAsyncLocalStorage();
  if (Als) {
    const als = new Als<T>();
    return { getStore: () => als.getStore(), run: (store, fn) => als.run(store, fn), followsAwait: true };
  }
  let current: T | undefined;
  return {
    getStore: () => current,
    run(store, fn) {
      const previous = current;
      current = store;
      try {
        return fn();
      } finally {
        current = previous;
      }
    },
    followsAwait: false,
  };
}
