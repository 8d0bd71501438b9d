// The opening summary (开标一览表) a tender declares on its preparation form (_summary_declaration.html): a button
// adds a row (up to 19 besides the price), and typing a common item's name picks its kind and whether it is required.
// Without JavaScript the form still has its rows; the server checks the declaration either way.
document.querySelectorAll("[data-summary-declaration]").forEach((fieldset) => {
  const add = fieldset.querySelector("[data-summary-add]");
  const list = fieldset.querySelector("datalist");
  const most = 19;

  const fill = (row) => {
    const label = row.querySelector("[data-summary-label]");
    label.addEventListener("change", () => {
      const common = list && Array.from(list.options).find((option) => option.value === label.value.trim());
      if (common) {
        row.querySelector("[data-summary-kind]").value = common.dataset.kind;
        row.querySelector("[data-summary-required]").value = common.dataset.required;
      }
    });
  };

  fieldset.querySelectorAll("[data-summary-item]").forEach(fill);
  if (!add) return;
  add.hidden = false;
  add.addEventListener("click", () => {
    const rows = fieldset.querySelectorAll("[data-summary-item]");
    if (rows.length >= most) return;
    const row = rows[rows.length - 1].cloneNode(true);
    row.querySelectorAll("input").forEach((input) => { input.value = ""; });
    row.querySelectorAll("select").forEach((select) => { select.selectedIndex = 0; });
    rows[rows.length - 1].after(row);
    fill(row);
    row.querySelector("[data-summary-label]").focus();
    add.hidden = rows.length + 1 >= most;
  });
});
