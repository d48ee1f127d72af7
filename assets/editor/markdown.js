// Markdown mode: Lezer's CommonMark parser, the grammar @codemirror/lang-markdown wraps, used
// directly because that package also loads the HTML, CSS and JavaScript languages for
// embedded code (about 170 KB, past the bundle's 400 KB budget) that a story never needs.
import { defineLanguageFacet, Language, LanguageSupport } from "@codemirror/language";
import { parser } from "@lezer/markdown";

const data = defineLanguageFacet({ commentTokens: { block: { open: "<!--", close: "-->" } } });
const language = new Language(data, parser, [], "markdown");

export function markdownMode() {
  return new LanguageSupport(language);
}
