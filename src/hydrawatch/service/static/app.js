// hydrawatch console: keyboard work on the queue and case pages, the decision dialog, and
// the network graph. No inline scripts anywhere (the Content-Security-Policy forbids them).
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // Every htmx request carries the session's CSRF token.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  // --- the queue: j/k move, Enter opens ---------------------------------------------------

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#queue tbody tr.case-row"));
  }

  function selected() {
    return document.querySelector("#queue tbody tr.case-row.selected");
  }

  function select(row) {
    rows().forEach(function (r) { r.classList.remove("selected"); r.removeAttribute("aria-selected"); });
    if (!row) { return; }
    row.classList.add("selected");
    row.setAttribute("aria-selected", "true");
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var all = rows();
    if (!all.length) { return; }
    var index = all.indexOf(selected());
    var next = index < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(Math.max(index + step, 0), all.length - 1);
    select(all[next]);
  }

  // --- deciding: c / d / e open a dialog that asks for the reason ---------------------------

  var pending = null;  // {url, target, view, action, caseId}

  function decisionTarget() {
    var row = selected();
    if (row) { return { url: row.dataset.decideUrl, target: row, view: "row", caseId: row.dataset.caseId }; }
    var panel = document.getElementById("decision-panel");
    if (panel) { return { url: panel.dataset.decideUrl, target: panel, view: "case", caseId: panel.dataset.caseId }; }
    return null;
  }

  function openDecision(action, where) {
    var dialog = document.getElementById("decision-dialog");
    if (!dialog || !where) { return; }
    pending = { url: where.url, target: where.target, view: where.view, caseId: where.caseId, action: action };
    document.getElementById("decision-action").textContent = action;
    document.getElementById("decision-case").textContent = where.caseId;
    var reason = document.getElementById("decision-reason");
    reason.value = "";
    reason.required = action !== "confirm";
    reason.placeholder = action === "confirm" ? "optional: why" : "why (required)";
    dialog.showModal();
    reason.focus();
  }

  function submitDecision(event) {
    event.preventDefault();
    var dialog = document.getElementById("decision-dialog");
    if (!pending) { dialog.close(); return; }
    var reason = document.getElementById("decision-reason");
    if (reason.required && !reason.value.trim()) { reason.reportValidity(); return; }
    var job = pending;
    pending = null;
    dialog.close();
    var targetId = job.target.id;
    htmx.ajax("POST", job.url, {
      target: "#" + targetId,
      swap: "outerHTML",
      values: { action: job.action, reason: reason.value, view: job.view },
    }).then(function () {
      if (job.view === "row") {
        select(document.getElementById(targetId));
        move(1);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("decision-form");
    if (form) { form.addEventListener("submit", submitDecision); }
    var cancel = document.getElementById("decision-cancel");
    if (cancel) {
      cancel.addEventListener("click", function () { pending = null; document.getElementById("decision-dialog").close(); });
    }
    if (rows().length) { select(rows()[0]); }
    initGraph();
  });

  // Clicks on a row's c/d/e buttons, and on a row (to select it).
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest(".decide-button") : null;
    if (button) {
      var row = button.closest("tr.case-row");
      select(row);
      openDecision(button.dataset.action, decisionTarget());
      return;
    }
    var clicked = event.target.closest ? event.target.closest("#queue tbody tr.case-row") : null;
    if (clicked && !event.target.closest("a")) { select(clicked); }
  });

  function typing(target) {
    if (!target) { return false; }
    var tag = (target.tagName || "").toLowerCase();
    if (tag === "input") {  // a checkbox (a picture's reveal toggle) or a button is not typing
      return ["checkbox", "radio", "button", "submit", "reset"].indexOf((target.type || "").toLowerCase()) < 0;
    }
    return tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var dialog = document.getElementById("decision-dialog");
    if (dialog && dialog.open) { return; }
    var key = event.key;
    if (key === "j") { move(1); event.preventDefault(); }
    else if (key === "k") { move(-1); event.preventDefault(); }
    else if (key === "Enter" && selected()) { window.location.href = selected().dataset.caseUrl; event.preventDefault(); }
    else if (key === "/") {
      var search = document.getElementById("queue-search");
      if (search) { search.focus(); event.preventDefault(); }
    }
    else if (key === "c" || key === "d" || key === "e") {
      var action = { c: "confirm", d: "dismiss", e: "escalate" }[key];
      var where = decisionTarget();
      if (where && document.getElementById("decision-dialog")) { openDecision(action, where); event.preventDefault(); }
    }
  });

  // --- the network graph ------------------------------------------------------------------

  var PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#bab0ac", "#e15759"];

  function initGraph() {
    var box = document.getElementById("graph");
    if (!box || typeof cytoscape === "undefined") { return; }
    fetch(box.dataset.src, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (!data.elements) { box.textContent = data.error || "no graph"; return; }
        data.elements.forEach(function (element) {
          if (element.data.community !== undefined) {
            element.data.color = PALETTE[(element.data.community - 1) % PALETTE.length];
          }
        });
        var cy = cytoscape({
          container: box,
          elements: data.elements,
          wheelSensitivity: 0.3,
          minZoom: 0.2,
          maxZoom: 2.5,
          style: [
            { selector: "node", style: {
              "background-color": "data(color)", "label": "data(label)", "font-size": 9, "color": "#222",
              "width": "mapData(weight, 1, 500, 12, 44)", "height": "mapData(weight, 1, 500, 12, 44)",
              "text-valign": "bottom", "text-margin-y": 2 } },
            { selector: "node[status = 'suspended'], node[status = 'deleted']", style: { "border-width": 3, "border-color": "#c0392b" } },
            { selector: "node[?flagged]", style: { "border-width": 5, "border-color": "#111" } },
            { selector: "edge", style: { "width": "mapData(weight, 1, 50, 0.5, 5)", "line-color": "#bbb", "curve-style": "haystack", "opacity": 0.7 } },
          ],
          layout: { name: "cose", animate: false, randomize: true, nodeRepulsion: 8000, idealEdgeLength: 60 },
        });
        cy.on("tap", "node", function (event) {
          var href = event.target.data("href");
          if (typeof href === "string" && href.indexOf("/accounts/") === 0) { window.location.href = href; }
        });
        box.dataset.ready = "true";
      })
      .catch(function () { box.textContent = "the graph could not be loaded"; });
  }
})();
