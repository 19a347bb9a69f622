// faultline runs index: sorting by any column, filtering by text and verdict.
(function () {
  'use strict';
  var errorBox = document.getElementById('script-errors');
  function recordError(message) {
    errorBox.hidden = false;
    var d = document.createElement('div');
    d.className = 'script-error';
    d.textContent = 'script error: ' + String(message);
    errorBox.appendChild(d);
  }
  window.addEventListener('error', function (e) { recordError(e.message || e); });
  try {
    var table = document.getElementById('runs'), body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var text = document.getElementById('filter-text'), verdict = document.getElementById('filter-verdict');
    var count = document.getElementById('shown');
    function filter() {
      var q = text.value.toLowerCase(), v = verdict.value, shown = 0;
      rows.forEach(function (r) {
        var ok = (!v || r.getAttribute('data-verdict') === v) && (!q || r.textContent.toLowerCase().indexOf(q) >= 0);
        r.hidden = !ok;
        if (ok) shown++;
      });
      count.textContent = shown + ' of ' + rows.length + ' runs';
    }
    text.addEventListener('input', filter);
    verdict.addEventListener('change', filter);
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      th.addEventListener('click', function () {
        var asc = !th.classList.contains('sorted-asc');
        Array.prototype.forEach.call(heads, function (h) { h.classList.remove('sorted-asc', 'sorted-desc'); });
        th.classList.add(asc ? 'sorted-asc' : 'sorted-desc');
        var numeric = th.getAttribute('data-type') === 'number';
        rows.sort(function (a, b) {
          var x = a.cells[col].getAttribute('data-sort') || a.cells[col].textContent;
          var y = b.cells[col].getAttribute('data-sort') || b.cells[col].textContent;
          var c = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
    filter();
    document.body.setAttribute('data-rendered', 'yes');
  } catch (e) {
    recordError(e && e.stack ? e.stack : e);
  }
})();
