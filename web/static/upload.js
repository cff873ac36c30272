// Intake page: drag and drop, one upload per file with its own progress bar, then the letter's live status.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  var input = form.querySelector("input[type=file]");
  var zone = document.getElementById("dropzone");
  var list = document.getElementById("uploads");
  var done = document.getElementById("upload-done");
  var T = JSON.parse(form.dataset.texts);  // the page's language: the server translates these
  var dropped = null;

  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) {
    dropped = Array.prototype.slice.call(e.dataTransfer.files);
    input.required = false;
    zone.querySelector("p").textContent = dropped.length + " " + T.chosen + " " +
      dropped.map(function (f) { return f.name; }).join(", ");
  });
  input.addEventListener("change", function () { dropped = null; });

  function url(template, id) { return template.replace(/\/0(?=\/|$|\.)/, "/" + id); }

  function row(file) {
    var li = document.createElement("li");
    var name = document.createElement("span"); name.className = "filename"; name.textContent = file.name;
    var bar = document.createElement("progress"); bar.max = 100; bar.value = 0;
    var state = document.createElement("span"); state.className = "upload-state"; state.textContent = T.uploading;
    li.appendChild(name); li.appendChild(bar); li.appendChild(state);
    list.appendChild(li);
    return { bar: bar, state: state };
  }

  // Polling backs off while nothing changes (1.5 s, growing to 10 s) and starts quick again on any progress, so a
  // clerk who drops 50 files does not send 30 requests a second for the whole batch; a failed request (server
  // restarting, network) is tried again later rather than leaving the row frozen.
  var QUICK = 1500, SLOW = 10000;

  function later(id, ui, delay, last) {
    setTimeout(function () { poll(id, ui, delay, last); }, delay);
  }

  function poll(id, ui, delay, last) {
    delay = delay || QUICK;
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url(form.dataset.statusUrl, id));
    xhr.onerror = function () { later(id, ui, Math.min(delay * 2, SLOW), last); };
    xhr.onload = function () {
      if (xhr.status === 403 || xhr.status === 404) return;  // gone or not ours: nothing more to show
      if (xhr.status !== 200) { later(id, ui, Math.min(delay * 2, SLOW), last); return; }
      var info = JSON.parse(xhr.responseText);
      var label = T.status[info.status] || info.status;
      if (info.page_count) label += " (" + info.pages_done + "/" + info.page_count + " " + T.pages + ")";
      ui.bar.value = 100;
      ui.state.textContent = "";
      var link = document.createElement("a");
      link.href = url(form.dataset.letterUrl, id); link.textContent = T.registered + " " + info.register_no;
      ui.state.appendChild(link);
      ui.state.appendChild(document.createTextNode(" · " + label));
      var settled = info.status === "failed" || (info.status === "ocr_done" && info.stages_done);
      if (settled && form.dataset.reviewUrl && info.status === "ocr_done") {
        var review = document.createElement("a");
        review.href = url(form.dataset.reviewUrl, id); review.textContent = " · " + T.review;
        ui.state.appendChild(review);
      }
      var progress = [info.status, info.pages_done, info.stages_done].join("|");
      if (!settled) later(id, ui, progress === last ? Math.min(delay * 1.5, SLOW) : QUICK, progress);
    };
    xhr.send();
  }

  function send(file, fields, next) {
    var ui = row(file);
    var data = new FormData();
    data.append("files", file);
    fields.forEach(function (pair) { data.append(pair[0], pair[1]); });
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = function (e) { if (e.lengthComputable) ui.bar.value = Math.round(e.loaded * 100 / e.total); };
    xhr.onload = function () {
      var outcome;
      try { outcome = JSON.parse(xhr.responseText).letters[0]; } catch (err) { outcome = { error: T.server_error + " (" + xhr.status + ")" }; }
      if (outcome.error) {
        ui.state.textContent = T.refused + " " + (outcome.message_vi || outcome.error);
        ui.state.className = "upload-state error";
      } else if (outcome.duplicate_of) {
        ui.bar.value = 100;
        ui.state.textContent = T.already + " " + outcome.register_no;
      } else {
        poll(outcome.letter_id, ui);
      }
      next();
    };
    xhr.onerror = function () { ui.state.textContent = T.lost; ui.state.className = "upload-state error"; next(); };
    xhr.send(data);
  }

  form.addEventListener("submit", function (event) {
    var files = dropped || Array.prototype.slice.call(input.files);
    if (!files.length) return;
    event.preventDefault();
    var fields = [["csrf_token", form.querySelector("[name=csrf_token]").value],
                  ["channel", form.querySelector("[name=channel]").value],
                  ["received", form.querySelector("[name=received]").value]];
    var i = 0;
    // one after another: the register numbers follow the order the files were chosen in
    (function next() {
      if (i >= files.length) { done.hidden = false; return; }
      send(files[i++], fields, next);
    })();
  });
})();
