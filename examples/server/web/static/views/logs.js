// Placeholder screen, replaced in the next change.
import { h, replace } from "../api.js";

export async function render(root) {
  replace(root, h("p", { class: "muted" }, "This screen is not ready yet."));
}
