/* The dashboard's student table: sort by a column (click or Enter on its heading) and find a student.
   Progressive: without this script the table is a plain, complete table. Numbers sort by data-value. */
(function () {
  var table = document.querySelector("table[data-sortable]");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var heads = table.tHead.rows[0].cells;
  var search = document.querySelector("[data-filter='" + table.id + "']");
  var count = document.getElementById(table.id + "-count");
  var tools = search && search.closest(".table-tools");
  if (tools) { tools.hidden = false; }

  function key(row, col) {
    var cell = row.cells[col];
    var v = cell.getAttribute("data-value");
    return v === null ? cell.textContent.trim().toLowerCase() : parseFloat(v);
  }

  function sortBy(col) {
    var head = heads[col];
    var ascending = head.getAttribute("aria-sort") !== "ascending";
    for (var h = 0; h < heads.length; h++) { heads[h].removeAttribute("aria-sort"); }
    head.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    rows.sort(function (a, b) {
      var x = key(a, col), y = key(b, col);
      var order = x < y ? -1 : x > y ? 1 : 0;
      return ascending ? order : -order;
    });
    var frag = document.createDocumentFragment();
    for (var r = 0; r < rows.length; r++) { frag.appendChild(rows[r]); }
    body.appendChild(frag);
  }

  for (var c = 0; c < heads.length; c++) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "sort";
    while (heads[c].firstChild) { button.appendChild(heads[c].firstChild); }
    heads[c].appendChild(button);
    button.addEventListener("click", sortBy.bind(null, c));
  }

  function filter() {
    var q = search.value.trim().toLowerCase();
    var shown = 0;
    for (var r = 0; r < rows.length; r++) {
      var hit = !q || rows[r].cells[0].textContent.toLowerCase().indexOf(q) !== -1;
      rows[r].hidden = !hit;
      shown += hit;
    }
    if (count) { count.textContent = shown + " / " + rows.length; }
  }
  if (search) { search.addEventListener("input", filter); filter(); }
})();
