// Generated from client/src by `npm run build:client`. Do not edit.
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
export type AsyncLocalStorageClass = new <T>() => {
    getStore(): T | undefined;
    run<R>(store: T, fn: () => R): R;
};
export declare function createContextStorage<T>(given?: AsyncLocalStorageClass): ContextStorage<T>;
