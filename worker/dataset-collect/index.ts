/** @module The grading hand-off into regression datasets (see collect-window.ts). */
export {
  collectWindowIntoDataset,
  type CollectedTrace,
  type CollectionResult,
  type WindowCollection,
} from "./collect-window";
