/* "Add source" in the admin: paste a link and fetch the page's own details (title, outlet,
   author, date, canonical URL and a proposed key) from POST /api/v1/sources/lookup/, which
   reads the page through the SSRF-safe fetcher. Every field stays editable; a link that
   cannot be read says why, and the form can still be filled in by hand. */
"use strict";
(function () {
  function csrf() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]*)/);
    if (match) { return decodeURIComponent(match[1]); }
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function start() {
    var url = document.getElementById("id_url");
    var key = document.getElementById("id_key");
    if (!url || !key || key.value) { return; } // the add form only
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.textContent = "Fetch details from the link";
    var message = document.createElement("p");
    message.className = "help";
    message.id = "source-lookup-message";
    message.setAttribute("role", "status");
    url.insertAdjacentElement("afterend", message);
    url.insertAdjacentElement("afterend", button);

    function set(id, value) {
      var input = document.getElementById(id);
      if (input && value && !input.value) { input.value = value; }
    }

    function lookUp() {
      if (!url.value.trim()) { message.textContent = "Paste a link first."; return; }
      message.textContent = "Fetching the page…";
      button.disabled = true;
      fetch(button.dataset.url || "/api/v1/sources/lookup/", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify({ url: url.value.trim() })
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) { throw new Error(data.detail || ("The server answered " + response.status + ".")); }
          return data;
        });
      }).then(function (data) {
        set("id_key", data.key);
        set("id_title", data.title);
        set("id_outlet", data.outlet);
        set("id_author", data.author);
        set("id_published_on", data.published_on);
        if (data.url) { url.value = data.url; }
        var kind = document.getElementById("id_kind");
        if (kind && data.kind) { kind.value = data.kind; }
        message.textContent = data.note || "Details filled in from the page. Check them, then save.";
      }).catch(function (error) {
        message.textContent = "The page's details could not be read: " + error.message +
          " You can still fill them in by hand.";
      }).then(function () { button.disabled = false; });
    }

    button.addEventListener("click", lookUp);
    url.addEventListener("paste", function () { setTimeout(lookUp, 0); });
  }

  if (document.readyState !== "loading") { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
