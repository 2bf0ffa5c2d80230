// The script embedded in the flame graph SVG: zoom on click, search, hover details.
//
// Invariants:
// - Reads only what FlameGraphDocument writes (attributes and <title>s), touches nothing
//   outside the document, loads nothing.
// - Zooming to a frame shows the frames that overlap its time range: itself, its ancestors
//   (full width, dimmed) and its descendants (scaled); frames on one row never overlap, so
//   that test alone picks exactly those.
// - Search matches frame names (a regular expression, case-insensitive; plain text when the
//   expression does not compile); the matched share counts each outermost match once.
// - Once set up it records `data-frames` and `data-drawn-total-ns` (the bottom row's time) on
//   the root element, and `data-script-error` on any uncaught error: what a headless browser
//   check reads back.

enum FlameGraphScript {
    static let source = #"""
    (function () {
      "use strict";
      var svg = document.documentElement;
      window.addEventListener("error", function (event) {
        svg.setAttribute("data-script-error", String(event.message));
      });
      var total = Number(svg.getAttribute("data-total-ns"));
      var left = Number(svg.getAttribute("data-left"));
      var area = Number(svg.getAttribute("data-area-width"));
      var charWidth = Number(svg.getAttribute("data-character-width"));
      var details = document.getElementById("details");
      var matched = document.getElementById("matched");
      var reset = document.getElementById("reset");
      var search = document.getElementById("search");
      var idleDetails = details.textContent;

      var frames = [];
      var byElement = new Map();
      var groups = document.querySelectorAll("g.f");
      for (var i = 0; i < groups.length; i++) {
        var g = groups[i];
        var title = g.querySelector("title").textContent;
        var cut = title.indexOf("\n");
        var rect = g.querySelector("rect");
        var frame = {
          g: g, rect: rect, label: g.querySelector("text"),
          name: cut < 0 ? title : title.slice(0, cut),
          about: cut < 0 ? title : title.slice(0, cut) + " \u2014 " + title.slice(cut + 1),
          x: Number(g.getAttribute("data-x")), w: Number(g.getAttribute("data-w")),
          d: Number(g.getAttribute("data-d"))
        };
        frames.push(frame);
        byElement.set(g, frame);
      }

      function duration(ns) {
        var units = [[1e9, "s"], [1e6, "ms"], [1e3, "\u00b5s"]];
        for (var i = 0; i < units.length; i++) {
          if (ns >= units[i][0]) {
            var v = ns / units[i][0];
            return v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2) + " " + units[i][1];
          }
        }
        return Math.round(ns) + " ns";
      }

      function share(part, whole) {
        if (!(whole > 0) || !(part > 0)) return "0%";
        var percent = (part * 100 / whole).toFixed(1);
        return percent === "0.0" ? "<0.1%" : percent + "%";
      }

      function fit(name, width) {
        var n = Math.floor((width - 6) / charWidth);
        if (n < 3) return "";
        return name.length <= n ? name : name.slice(0, n - 2) + "..";
      }

      var zoomed = null;

      function zoom(target) {
        zoomed = target;
        var x0 = target ? target.x : 0;
        var w0 = target ? target.w : total;
        for (var i = 0; i < frames.length; i++) {
          var f = frames[i];
          var visible = f.x < x0 + w0 && f.x + f.w > x0;
          f.g.style.display = visible ? "" : "none";
          if (!visible) continue;
          var start = Math.max(f.x, x0), end = Math.min(f.x + f.w, x0 + w0);
          var px = left + (start - x0) / w0 * area;
          var pw = (end - start) / w0 * area;
          f.rect.setAttribute("x", px.toFixed(2));
          f.rect.setAttribute("width", pw.toFixed(2));
          f.label.setAttribute("x", (px + 3).toFixed(2));
          f.label.textContent = fit(f.name, pw);
          f.g.classList.toggle("ancestor", target !== null && f.d < target.d);
        }
        reset.setAttribute("display", target ? "inline" : "none");
      }

      function find(query) {
        var pattern = null;
        if (query) {
          try {
            pattern = new RegExp(query, "i");
          } catch (e) {
            pattern = new RegExp(query.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i");
          }
        }
        var sum = 0, coveredTo = -1;
        for (var i = 0; i < frames.length; i++) {
          var f = frames[i];
          var hit = pattern !== null && pattern.test(f.name);
          f.g.classList.toggle("match", hit);
          // Depth-first order: a frame inside an earlier match starts before that match ends.
          if (hit && f.x >= coveredTo) {
            sum += f.w;
            coveredTo = f.x + f.w;
          }
        }
        matched.textContent = pattern ? "Matched: " + share(sum, total) + " (" + duration(sum) + ")" : "";
      }

      svg.addEventListener("mouseover", function (event) {
        var g = event.target.closest ? event.target.closest("g.f") : null;
        details.textContent = g ? byElement.get(g).about : idleDetails;
      });
      svg.addEventListener("click", function (event) {
        var g = event.target.closest ? event.target.closest("g.f") : null;
        if (g) zoom(byElement.get(g));
      });
      reset.addEventListener("click", function (event) {
        event.stopPropagation();
        zoom(null);
      });
      search.addEventListener("input", function () { find(search.value); });
      document.addEventListener("keydown", function (event) {
        if ((event.ctrlKey || event.metaKey) && event.key === "f") {
          event.preventDefault();
          search.focus();
        } else if (event.key === "Escape") {
          search.value = "";
          find("");
          zoom(null);
        }
      });

      zoom(null);
      var drawnTotal = 0;
      for (var j = 0; j < frames.length; j++) if (frames[j].d === 0) drawnTotal += frames[j].w;
      svg.setAttribute("data-frames", String(frames.length));
      svg.setAttribute("data-drawn-total-ns", String(drawnTotal));
    })();

    """#
}
