import assert from "node:assert/strict";
import { it } from "node:test";
import { renderTable } from "./table.js";

it("pads columns to the widest cell and trims line ends", () => {
  assert.equal(
    renderTable(
      ["NAME", "STATE", "NOTE"],
      [
        ["nats", "up", "2.9.10"],
        ["postgres", "down", ""],
      ],
    ),
    ["  NAME      STATE  NOTE", "  nats      up     2.9.10", "  postgres  down"].join("\n"),
  );
});
