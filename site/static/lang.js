/* Runs in <head>, before the page is painted: restore the reader's language choice. */
(function () {
  try {
    var saved = window.localStorage.getItem("grade-lang");
    if (saved === "ko" || saved === "en") {
      document.documentElement.setAttribute("data-lang", saved);
      document.documentElement.setAttribute("lang", saved);
    }
  } catch (e) { /* storage can be off (private mode, file:// policies): keep the built-in language */ }
})();
