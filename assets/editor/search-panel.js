// The chunk search.js loads on first use.
export {
  findNext, findPrevious, gotoLine, highlightSelectionMatches, openSearchPanel, search, searchKeymap,
  selectNextOccurrence, selectSelectionMatches,
} from "@codemirror/search";
