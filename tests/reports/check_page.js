// check_page.js: appended to a copy of a report's index.html by test_report_browser.sh. After the page has
// loaded, it checks what a reader sees in a 1400 px window and writes one line into <body data-check="...">:
// "OK ..." or "FAIL reason; reason; ...". Checked: every <img> loaded (naturalWidth > 0) and is drawn at
// least 1000 px wide; the page does not scroll horizontally (scrollWidth <= innerWidth); a click on a
// sortable table's "95th-percentile latency" header orders its rows by that column.
window.addEventListener('load', function () {
  var fails = [], n_img = 0;
  document.querySelectorAll('img').forEach(function (img) {
    n_img++;
    if (!img.complete || img.naturalWidth === 0) fails.push('figure not loaded: ' + img.getAttribute('src'));
    else if (img.getBoundingClientRect().width < 1000)
      fails.push('figure narrower than 1000 px: ' + img.getAttribute('src') + ' ' +
                 Math.round(img.getBoundingClientRect().width));
  });
  var sw = document.documentElement.scrollWidth, iw = window.innerWidth;
  if (sw > iw) fails.push('page overflows horizontally: scrollWidth ' + sw + ' > ' + iw);
  var sorted = 'no-table';
  var t = document.querySelector('table.sortable');
  if (t) {
    var col = -1;
    t.querySelectorAll('thead th').forEach(function (th, i) {
      if (th.textContent.indexOf('95th-percentile latency') === 0) col = i;
    });
    if (col < 0) fails.push('no 95th-percentile latency column');
    else {
      t.querySelectorAll('thead th')[col].click();
      var prev = -Infinity, ok = true, rows = t.tBodies[0].rows;
      for (var r = 0; r < rows.length; r++) {
        var v = rows[r].cells[col].getAttribute('data-v');
        var x = v === '' ? Infinity : +v;
        if (x < prev) ok = false;
        prev = x;
      }
      if (!ok) fails.push('rows not sorted after a click on the header');
      sorted = ok ? 'sorted' : 'unsorted';
    }
  }
  document.body.setAttribute('data-check', (fails.length ? 'FAIL ' + fails.join('; ') : 'OK') +
                             ' images=' + n_img + ' scrollWidth=' + sw + ' innerWidth=' + iw + ' table=' + sorted);
});
