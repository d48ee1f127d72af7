// The source-key grammar, as the server states it (sources/keys.py, through the body
// textarea's data-key-pattern, data-key-chars and data-key-max-length): nothing here restates
// which characters a key may hold, so the picker and the dialog cannot drift from the library.

export function keyRule(config) {
  const { keyPattern: pattern, keyChars: chars } = config;
  const maxLength = Number(config.keyMaxLength);
  if (!pattern || !chars || !(maxLength > 0)) {
    throw new Error("The story body lacks the key grammar (data-key-pattern, data-key-chars, data-key-max-length).");
  }
  // "u", as the "v" an HTML pattern attribute is compiled with, reads the escaped "-" the same.
  const whole = new RegExp(`^(?:${pattern})$`, "u");
  return {
    pattern, // for the dialog's key input: the browser anchors it itself
    maxLength,
    // The key being typed after the group's last "@" (empty right after it).
    typed: new RegExp(`@([${chars}]*)$`, "u"),
    // Whether the library could keep `text` as a key: the picker offers to add only that.
    isKey: (text) => text.length <= maxLength && whole.test(text),
  };
}
