/* Play mode on a module page: "Reproducir la sección" and "Reproducir el módulo" play the approved
   recordings one after another, in one language, with large controls fixed at the bottom of the
   screen that show the text being heard in every language it is written in. The page's own
   <audio> elements play (so a pack's copies answer offline, through sw.js); the segment being
   heard is highlighted and scrolled to. Without this script the page keeps its plain players.
   The words come from the page (#play-mode data-strings): this script has no catalog of its own. */
(function () {
  "use strict";
  var holder = document.getElementById("play-mode");
  if (!holder) return;
  var article = holder.parentNode;
  var players = Array.prototype.slice.call(article.querySelectorAll("audio.take"));
  if (!players.length) return;
  var sheet = document.createElement("link");  // its own sheet: only pages with recordings need it
  sheet.rel = "stylesheet";
  sheet.href = holder.dataset.css;
  document.head.appendChild(sheet);
  var words = JSON.parse(holder.dataset.strings);
  var names = JSON.parse(holder.dataset.languages);

  function say(key, values) {
    return (words[key] || key).replace(/%\((\w+)\)s/g, function (_m, name) { return String(values[name]); });
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function button(text, className) {
    return el("button", { type: "button", "class": "button " + (className || "") }, text);
  }

  /* The languages heard on this page; the page's own first if it has recordings, else Spanish. */
  var spoken = [];
  players.forEach(function (audio) { if (spoken.indexOf(audio.lang) < 0) spoken.push(audio.lang); });
  var pageLanguage = document.documentElement.lang;
  var chosen = spoken.indexOf(pageLanguage) > -1 ? pageLanguage : spoken.indexOf("es") > -1 ? "es" : spoken[0];
  function heard(scope) {
    return players.filter(function (audio) { return scope.contains(audio) && audio.lang === chosen; });
  }

  /* The module's controls: the language (when more than one is heard) and the whole module. */
  var panel = el("div", { "class": "play-panel" });
  if (spoken.length > 1) {
    var choice = el("fieldset", { "class": "play-language" });
    choice.appendChild(el("legend", {}, words.language));
    spoken.forEach(function (code) {
      var label = el("label", { "class": "option" });
      var radio = el("input", { type: "radio", name: "play-language", value: code });
      radio.checked = code === chosen;
      radio.addEventListener("change", function () { if (radio.checked) choose(code); });
      label.appendChild(radio);
      label.appendChild(document.createTextNode(" " + (names[code] || code)));
      choice.appendChild(label);
    });
    panel.appendChild(choice);
  }
  var moduleButton = button(words.play_module, "play-start");
  moduleButton.addEventListener("click", function () { start(heard(article)); });
  panel.appendChild(moduleButton);
  var facts = article.querySelector(".facts");
  article.insertBefore(panel, facts ? facts.nextSibling : article.firstChild);

  /* A button under each section's heading that has recordings. */
  var sectionButtons = [];
  Array.prototype.forEach.call(article.querySelectorAll("section"), function (section) {
    if (!section.querySelector("audio.take")) return;
    var play = button(words.play_section, "secondary play-start");
    play.addEventListener("click", function () { start(heard(section)); });
    var heading = section.querySelector("h2");  // in the printed web view, inside the QR code's box
    if (heading) heading.parentNode.insertBefore(play, heading.nextSibling);
    else section.insertBefore(play, section.firstChild);
    sectionButtons.push({ section: section, button: play });
  });
  function showButtons() {
    sectionButtons.forEach(function (item) { item.button.hidden = !heard(item.section).length; });
    moduleButton.hidden = !heard(article).length;
  }
  function choose(code) {
    chosen = code;
    stop();
    showButtons();
  }
  showButtons();

  /* The bar at the bottom: where we are, the text heard, and the controls. */
  var bar = el("div", { "class": "play-bar", role: "region", "aria-label": words.player });
  bar.hidden = true;
  var position = el("p", { "class": "play-position", "aria-live": "polite" });
  var texts = el("div", { "class": "play-texts" });
  var controls = el("div", { "class": "play-controls" });
  var previous = button(words.previous, "secondary");
  var pause = button(words.pause);
  var next = button(words.next, "secondary");
  var stopButton = button(words.stop, "secondary");
  [previous, pause, next, stopButton].forEach(function (b) { controls.appendChild(b); });
  bar.appendChild(position);
  bar.appendChild(texts);
  bar.appendChild(controls);
  document.body.appendChild(bar);

  var queue = [];
  var index = -1;
  var current = null;
  var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function segmentOf(audio) { return audio.parentNode; }
  function showTexts(audio) {
    texts.textContent = "";
    var written = {};
    var carrier = segmentOf(audio).querySelector("audio[data-texts]");  // on the text's first player
    try { written = JSON.parse(carrier ? carrier.dataset.texts : "{}"); } catch (e) { written = {}; }
    // The language heard first, then the others (Spanish and Awajún side by side).
    var order = [audio.lang].concat(Object.keys(written).filter(function (code) { return code !== audio.lang; }));
    order.forEach(function (code) {
      if (!written[code]) return;
      var line = el("p", { lang: code, "class": code === audio.lang ? "play-text heard" : "play-text" });
      line.appendChild(el("span", { "class": "play-language-name", lang: document.documentElement.lang }, names[code] || code));
      line.appendChild(document.createTextNode(" " + written[code]));
      texts.appendChild(line);
    });
  }
  function unmark() {
    if (!current) return;
    current.pause();
    segmentOf(current).classList.remove("playing");
    segmentOf(current).removeAttribute("aria-current");
  }
  function playAt(i) {
    unmark();
    if (i < 0 || i >= queue.length) { stop(); return; }
    index = i;
    current = queue[i];
    var segment = segmentOf(current);
    segment.classList.add("playing");
    segment.setAttribute("aria-current", "true");
    segment.scrollIntoView({ block: "center", behavior: reduced ? "auto" : "smooth" });
    showTexts(current);
    position.textContent = say("position", { number: i + 1, total: queue.length });
    previous.disabled = i === 0;
    pause.textContent = words.pause;
    if (current.readyState > 0) current.currentTime = 0;
    var playing = current.play();
    if (playing && playing.catch) playing.catch(function (error) { if (error && error.name !== "AbortError") failed(current); });
  }
  function failed(audio) {
    if (audio !== current) return;
    position.textContent = words.failed;
    setTimeout(function () { if (audio === current) playAt(index + 1); }, 1500);
  }
  function start(list) {
    if (!list.length) return;
    unmark();
    queue = list;
    bar.hidden = false;
    document.body.classList.add("playing-mode");
    playAt(0);
  }
  function stop() {
    unmark();
    current = null;
    queue = [];
    index = -1;
    bar.hidden = true;
    document.body.classList.remove("playing-mode");
  }
  players.forEach(function (audio) {
    audio.addEventListener("ended", function () { if (audio === current) playAt(index + 1); });
    audio.addEventListener("error", function () { failed(audio); });
    audio.addEventListener("pause", function () { if (audio === current) pause.textContent = words.resume; });
    audio.addEventListener("play", function () {
      if (audio === current) { pause.textContent = words.pause; return; }
      if (current) current.pause();  // another player started by hand: the queue waits
    });
  });
  pause.addEventListener("click", function () {
    if (!current) return;
    if (current.paused) current.play(); else current.pause();
  });
  previous.addEventListener("click", function () { playAt(Math.max(0, index - 1)); });
  next.addEventListener("click", function () { playAt(index + 1); });
  stopButton.addEventListener("click", stop);
  document.addEventListener("keydown", function (event) { if (event.key === "Escape" && current) stop(); });
})();
