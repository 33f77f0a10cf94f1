// The concern form: ticking a red flag brings up the call-now notice at once, at the top of the
// page, and 999 for the signs that need it. Without JavaScript the server's answer does this.
document.querySelectorAll("[data-concern-form]").forEach((form) => {
  const notice = document.querySelector("[data-concern-alert]");
  const emergency = notice && notice.querySelector("[data-concern-999]");
  if (!notice) {
    return;
  }
  let wasUrgent = !notice.hidden;
  const update = () => {
    const ticked = Array.from(form.querySelectorAll("input[data-urgency]:checked"));
    const urgent = ticked.some((box) => box.dataset.urgency !== "routine");
    notice.hidden = !urgent;
    if (emergency) {
      emergency.hidden = !ticked.some((box) => box.dataset.urgency === "emergency");
    }
    if (urgent && !wasUrgent) {
      // Before anything else: take the patient to the notice, not further down the form.
      notice.scrollIntoView({ block: "start" });
      notice.focus({ preventScroll: true });
    }
    wasUrgent = urgent;
  };
  form.addEventListener("change", update);
  update();
});
