(function () {
  document.documentElement.classList.add("js");
  var current = null;
  function open(key) {
    var panel = document.querySelector('.detail[data-key="' + CSS.escape(key) + '"]');
    if (!panel) return;
    if (current) {
      current.classList.remove("open");
      var old = document.querySelector('td[data-key="' + CSS.escape(current.dataset.key) + '"]');
      if (old) old.classList.remove("selected");
    }
    panel.classList.add("open");
    var cell = document.querySelector('td[data-key="' + CSS.escape(key) + '"]');
    if (cell) cell.classList.add("selected");
    current = panel;
    document.body.dataset.open = key;
    panel.scrollTop = 0;
  }
  function close() {
    if (!current) return;
    var cell = document.querySelector('td[data-key="' + CSS.escape(current.dataset.key) + '"]');
    if (cell) cell.classList.remove("selected");
    current.classList.remove("open");
    current = null;
    delete document.body.dataset.open;
    history.replaceState(null, "", location.pathname + location.search);
  }
  document.addEventListener("click", function (e) {
    var button = e.target.closest("td[data-key] button");
    if (button) {
      var key = button.parentElement.dataset.key;
      history.replaceState(null, "", "#cell=" + encodeURIComponent(key));
      open(key);
    } else if (e.target.closest("button.close")) {
      close();
    }
  });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
  var only = document.getElementById("failures-only");
  only.addEventListener("change", function () {
    document.body.classList.toggle("failures-only", only.checked);
  });
  var match = /^#cell=(.+)$/.exec(location.hash);
  if (match) open(decodeURIComponent(match[1]));
})();
