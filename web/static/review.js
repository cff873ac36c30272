// Review page: zoom and rotate page images, and keyboard shortcuts for every review action.
(function () {
  "use strict";

  function frameState(figure) {
    if (!figure._view) figure._view = { zoom: 1, rotate: 0 };
    return figure._view;
  }

  function apply(figure) {
    var img = figure.querySelector("img");
    if (!img) return;
    var v = frameState(figure);
    img.style.transform = "scale(" + v.zoom + ") rotate(" + v.rotate + "deg)";
    img.style.transformOrigin = "top left";
    if (v.rotate % 180 !== 0) img.style.transformOrigin = "center";
    figure.classList.toggle("zoomed", v.zoom !== 1 || v.rotate !== 0);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".image-tools button");
    if (!button) return;
    var figure = button.closest("figure");
    var v = frameState(figure);
    if (button.dataset.zoom) v.zoom = Math.min(4, Math.max(0.5, v.zoom * parseFloat(button.dataset.zoom)));
    if (button.dataset.rotate) v.rotate = (v.rotate + parseInt(button.dataset.rotate, 10)) % 360;
    if (button.hasAttribute("data-reset")) { v.zoom = 1; v.rotate = 0; }
    apply(figure);
  });

  var form = document.getElementById("review-form");
  if (!form) return;

  function submit(action) {
    var field = document.createElement("input");
    field.type = "hidden"; field.name = "action"; field.value = action;
    form.appendChild(field);
    form.submit();
  }

  function firstFigure() { return document.querySelector("figure.zoomable"); }

  function click(selector) { var el = document.querySelector(selector); if (el) el.click(); }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
      if (event.key === "Escape") target.blur();
      return;
    }
    var key = event.key.toLowerCase();
    var decision = document.getElementById("f-decision");
    var handled = true;
    if (key === "c") submit("next");            // confirm the suggestions as they stand, then the next letter
    else if (key === "s") submit("save");
    else if (key === "n") submit("next");
    else if (key === "m") click("#f-new-dossier");
    else if (key === "p") click(".attach-candidate");
    else if (key === "t") document.getElementById("f-type").focus();
    else if (key === "a") document.getElementById("f-agency").focus();
    else if (key === "h") { click("#f-other-dossier"); document.getElementById("f-dossier-no").focus(); }
    else if (/^[1-6]$/.test(key) && decision) decision.selectedIndex = parseInt(key, 10);
    else if (key === "+" || key === "=") click("figure.zoomable [data-zoom='1.25']");
    else if (key === "-") click("figure.zoomable [data-zoom='0.8']");
    else if (key === "r") click("figure.zoomable [data-rotate]");
    else if (key === "0" && firstFigure()) click("figure.zoomable [data-reset]");
    else handled = false;
    if (handled) event.preventDefault();
  });
})();
