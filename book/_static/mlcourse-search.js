// mlcourse book: search-result snippets without raw TeX. Sphinx builds each snippet from the
// page's text, in which a formula is still its TeX source (MathJax typesets it only on the page
// itself); formulas are shown as an ellipsis in the snippet instead.
document.addEventListener("DOMContentLoaded", function () {
  if (typeof Search === "undefined" || typeof Search.htmlToText !== "function") return;
  var original = Search.htmlToText;
  Search.htmlToText = function (htmlString, anchor) {
    var doc = new DOMParser().parseFromString(htmlString, "text/html");
    doc.querySelectorAll(".math, mjx-container").forEach(function (el) { el.replaceWith("\u2026"); });
    return original(doc.documentElement.outerHTML, anchor);
  };
});
