/* The language switch; diagrams opened on the node to fix, with a hint where they scroll; KaTeX for any
   .math span the build could not render (its TeX is the span's text, escaped by the build). */
(function () {
  var root = document.documentElement;
  root.classList.add("js");

  function setLang(lang) {
    root.setAttribute("data-lang", lang);
    root.setAttribute("lang", lang);
    try { window.localStorage.setItem("grade-lang", lang); } catch (e) { /* not kept: fine */ }
    var buttons = document.querySelectorAll("[data-set-lang]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-pressed", String(buttons[i].getAttribute("data-set-lang") === lang));
    }
  }

  var groups = document.querySelectorAll(".langs");
  for (var g = 0; g < groups.length; g++) { groups[g].hidden = false; }
  var buttons = document.querySelectorAll("[data-set-lang]");
  for (var b = 0; b < buttons.length; b++) {
    buttons[b].addEventListener("click", function (event) {
      setLang(event.currentTarget.getAttribute("data-set-lang"));
    });
  }
  setLang(root.getAttribute("data-lang") === "en" ? "en" : "ko");

  /* Print every folded section too, then fold them back. */
  var opened = [];
  window.addEventListener("beforeprint", function () {
    var all = document.querySelectorAll("details:not([open]):not(.as-table):not(.passed-checks)");
    for (var d = 0; d < all.length; d++) { all[d].open = true; opened.push(all[d]); }
  });
  window.addEventListener("afterprint", function () {
    while (opened.length) { opened.pop().open = false; }
  });

  /* A diagram wider than its box: say so, and open it centred on the node to fix (else where it starts). */
  function fit(scroller) {
    var figure = scroller.closest("figure");
    var wide = scroller.scrollWidth > scroller.clientWidth + 2;
    if (figure) { figure.classList.toggle("scrolls", wide); }
    if (!wide || scroller.getAttribute("data-centred")) { return; }
    var target = scroller.querySelector("[data-blamed]");
    if (!target) { return; }
    var box = target.getBoundingClientRect(), frame = scroller.getBoundingClientRect();
    if (box.width === 0) { return; } /* folded: centred when its section opens */
    scroller.scrollLeft += (box.left + box.width / 2) - (frame.left + frame.width / 2);
    scroller.setAttribute("data-centred", "1");
  }
  var scrollers = document.querySelectorAll(".dg-scroll");
  function fitAll() { for (var i = 0; i < scrollers.length; i++) { fit(scrollers[i]); } }
  fitAll();
  window.addEventListener("resize", fitAll);
  document.addEventListener("toggle", fitAll, true);

  if (window.katex) {
    var spans = document.querySelectorAll("span.math");
    for (var s = 0; s < spans.length; s++) {
      var el = spans[s];
      try {
        window.katex.render(el.textContent, el, {
          displayMode: el.classList.contains("display"), throwOnError: false, output: "htmlAndMathml"
        });
        el.classList.add("rendered");
      } catch (e) {
        el.classList.add("math-error");
      }
    }
  }
})();
