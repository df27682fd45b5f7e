/* Attendance entry: each person's status select becomes a row of big buttons, and "mark all
   present" works without a round trip. The page works without this (plain selects, and the
   mark-all button asks the server); field.js calls WorkshopsEntry.enhance on its offline roster. */
(function () {
  "use strict";
  function pressed(group, value) {
    Array.prototype.forEach.call(group.children, function (button) {
      button.setAttribute("aria-pressed", String(button.value === value));
    });
  }
  function enhanceSelect(select) {
    if (select.dataset.enhanced) return;
    select.dataset.enhanced = "1";
    var group = document.createElement("div");
    group.className = "choices";
    group.setAttribute("role", "group");
    group.setAttribute("aria-labelledby", select.getAttribute("aria-labelledby") || "");
    Array.prototype.forEach.call(select.options, function (option) {
      if (!option.value) return;  // "no mark": the state before anything is chosen
      var button = document.createElement("button");
      button.type = "button";
      button.value = option.value;
      button.textContent = option.textContent;
      button.addEventListener("click", function () {
        select.value = select.value === option.value ? "" : option.value;  // a second tap clears
        pressed(group, select.value);
        select.dispatchEvent(new Event("change", { bubbles: true }));
      });
      group.appendChild(button);
    });
    select.addEventListener("change", function () { pressed(group, select.value); });
    pressed(group, select.value);
    select.hidden = true;  // still sent with the form
    select.parentNode.insertBefore(group, select);
  }
  function enhance(root) {
    Array.prototype.forEach.call(root.querySelectorAll(".mark select"), enhanceSelect);
  }
  function markAll(root) {
    Array.prototype.forEach.call(root.querySelectorAll(".mark select"), function (select) {
      if (!select.value) {
        select.value = "present";
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  }
  window.WorkshopsEntry = { enhance: enhance, markAll: markAll };
  var form = document.getElementById("entry-form");
  if (!form) return;
  enhance(form);
  var button = document.getElementById("mark-all");
  if (button) button.addEventListener("click", function (event) { event.preventDefault(); markAll(form); });
})();
