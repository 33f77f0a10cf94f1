// Back office: fold the section menu on a phone, and add delivery lines without a round trip.
(() => {
  const fold = document.querySelector("details[data-fold-below]");
  if (fold) {
    const narrow = window.matchMedia(`(max-width: ${Number(fold.dataset.foldBelow) - 1}px)`);
    const apply = () => { fold.open = !narrow.matches; };
    apply();
    narrow.addEventListener("change", apply);
  }

  // "Add another line" on the delivery form: copy the last row with empty fields and new
  // numbers. Without JavaScript the same button asks the server for one more row.
  document.querySelectorAll("[data-add-row]").forEach((button) => {
    const body = document.getElementById(button.dataset.addRow);
    const limit = Number(button.dataset.maxRows || 0);
    button.addEventListener("click", (event) => {
      const rows = body.querySelectorAll("tr");
      if (!rows.length || (limit && rows.length >= limit)) return;
      event.preventDefault();
      const last = rows[rows.length - 1];
      const copy = last.cloneNode(true);
      const from = `-${rows.length - 1}-`;
      const to = `-${rows.length}-`;
      copy.querySelectorAll("[id], [name], [for], [aria-describedby]").forEach((el) => {
        ["id", "name", "for"].forEach((attr) => {
          if (el.hasAttribute(attr)) el.setAttribute(attr, el.getAttribute(attr).replace(from, to));
        });
        el.removeAttribute("aria-describedby");
        el.classList.remove("is-invalid");
      });
      copy.querySelectorAll(".invalid-feedback").forEach((el) => el.remove());
      copy.querySelectorAll("input").forEach((el) => { el.value = ""; });
      copy.querySelectorAll("select").forEach((el) => { el.selectedIndex = 0; });
      const number = copy.querySelector("th[scope=row]");
      if (number) number.textContent = String(rows.length + 1);
      body.appendChild(copy);
      const first = copy.querySelector("select, input");
      if (first) first.focus();
      if (limit && rows.length + 1 >= limit) button.disabled = true;
    });
  });
})();
