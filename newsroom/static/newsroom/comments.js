/* Comment threads (admin): a selection in the text fills the passage field; each open
   comment's passage is marked in the text and links to its thread. No inline script. */
(function () {
  "use strict";
  var body = document.querySelector(".revision-body");
  var quote = document.querySelector("[data-comment-quote]");

  function squash(text) { return text.replace(/[\s\u00a0]+/g, " ").trim(); }

  if (body && quote) {
    var take = function () {
      var selection = window.getSelection();
      if (!selection || selection.isCollapsed) { return; }
      if (!body.contains(selection.anchorNode) || !body.contains(selection.focusNode)) { return; }
      var text = squash(selection.toString());
      if (!text) { return; }
      quote.value = text;
      var claim = document.getElementById("comment-claim");
      if (claim) { claim.value = ""; }
    };
    body.addEventListener("mouseup", take);
    body.addEventListener("keyup", take);
  }

  function mark(root, words, id) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var node;
    while ((node = walker.nextNode())) {
      var text = node.nodeValue.replace(/\u00a0/g, " ");
      var at = text.indexOf(words);
      if (at < 0) { continue; }
      var range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + words.length);
      var link = document.createElement("a");
      link.className = "comment-mark";
      link.href = "#" + id;
      link.title = "Comment: see the thread";
      range.surroundContents(link);
      return true;
    }
    return false;
  }

  if (body) {
    document.querySelectorAll("[data-comment-thread]").forEach(function (thread) {
      if (thread.classList.contains("thread-resolved")) { return; }
      var words = squash(thread.getAttribute("data-quote") || "");
      if (words) { mark(body, words, thread.id); }
    });
  }
})();
