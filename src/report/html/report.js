(function () {
  "use strict";
  var only = document.getElementById("only-failures");
  only.addEventListener("change", function () {
    document.body.classList.toggle("only-failures", only.checked);
  });
  function setAll(open) {
    document.querySelectorAll("details").forEach(function (d) { d.open = open; });
  }
  document.getElementById("expand-all").addEventListener("click", function () { setAll(true); });
  document.getElementById("collapse-all").addEventListener("click", function () { setAll(false); });
  // Clicking a finding shows the marked lines of its field in the exchange's bodies.
  document.querySelectorAll("tr.finding[data-path]").forEach(function (row) {
    row.addEventListener("click", function (event) {
      if (event.target.closest("a")) { return; }
      var link = row.querySelector("a[href^='#']");
      var scope = link ? document.getElementById(link.getAttribute("href").slice(1))
                       : row.closest(".exchange");
      if (!scope) { return; }
      scope.open = true;
      var path = row.getAttribute("data-path");
      var lines = Array.prototype.filter.call(scope.querySelectorAll(".line.hl"), function (l) {
        var p = l.getAttribute("data-path");
        return p === path || p.indexOf(path + "/") === 0;
      });
      if (lines.length === 0) { scope.scrollIntoView({ block: "start" }); return; }
      lines[0].scrollIntoView({ block: "center" });
      lines.forEach(function (l) { l.classList.add("flash"); });
      setTimeout(function () { lines.forEach(function (l) { l.classList.remove("flash"); }); }, 1500);
    });
  });
})();
