// Find and replace (@codemirror/search, about 20 KB), a separate chunk loaded the first time a
// writer needs it: a search key (Ctrl+F, F3, Ctrl+G, Ctrl+D, ...), the toolbar's "Find and
// replace", or a first selection (whose other occurrences it highlights). Until then the editor
// carries only the keys that load it.

import { Compartment } from "@codemirror/state";
import { keymap } from "@codemirror/view";

// @codemirror/search's searchKeymap, by name: [key, command, command with Shift].
const KEYS = [
  ["Mod-f", "openSearchPanel"], ["F3", "findNext", "findPrevious"],
  ["Mod-g", "findNext", "findPrevious"], ["Mod-Shift-l", "selectSelectionMatches"],
  ["Mod-Alt-g", "gotoLine"], ["Mod-d", "selectNextOccurrence"],
];

export function lazySearch() {
  const slot = new Compartment();
  let loading = null;
  const load = (view) => {
    if (!loading) {
      loading = import("./search-panel.js").then((search) => {
        view.dispatch({ effects: slot.reconfigure([
          search.search({ top: true }), search.highlightSelectionMatches(), keymap.of(search.searchKeymap),
        ]) });
        return search;
      });
    }
    return loading;
  };
  const run = (command) => command && ((view) => { load(view).then((search) => search[command](view)); return true; });
  return {
    load,
    open: (view) => load(view).then((search) => search.openSearchPanel(view)),
    // The loaded search's own keys come first, in the slot; these only answer until then.
    extensions: [
      slot.of([]),
      keymap.of(KEYS.map(([key, command, shift]) => ({
        key, run: run(command), shift: run(shift), scope: "editor search-panel", preventDefault: true,
      }))),
    ],
  };
}
