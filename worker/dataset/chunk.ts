/**
 * @module Splitting multi-row statements so each stays within D1's limit of 100 bound
 * parameters per statement.
 */

/** D1 refuses a statement with more bound parameters than this. */
export const D1_MAX_BOUND_PARAMETERS = 100;

/**
 * Splits rows into chunks whose statements bind at most `maxParams` parameters, given
 * `columnsPerRow` parameters per row plus `fixedParams` bound once per statement (for
 * example a dataset id in a WHERE clause).
 */
export function chunkRows<T>(
  rows: readonly T[],
  columnsPerRow: number,
  maxParams: number = D1_MAX_BOUND_PARAMETERS,
  fixedParams = 0,
): T[][] {
  if (!Number.isInteger(columnsPerRow) || columnsPerRow < 1) {
    throw new RangeError(`columnsPerRow must be a positive integer, got ${columnsPerRow}`);
  }
  const rowsPerChunk = Math.floor((maxParams - fixedParams) / columnsPerRow);
  if (rowsPerChunk < 1) {
    throw new RangeError(
      `one row needs ${columnsPerRow + fixedParams} bound parameters, more than the limit of ${maxParams}`,
    );
  }
  const chunks: T[][] = [];
  for (let start = 0; start < rows.length; start += rowsPerChunk) {
    chunks.push(rows.slice(start, start + rowsPerChunk));
  }
  return chunks;
}
