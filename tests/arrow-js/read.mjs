// Reads an Arrow IPC file with Apache Arrow's JavaScript implementation (not memtrace's reader) and prints
// its schema and every cell as JSON lines: {"columns":[{"name","type"}]} then one array per row.
// Values print as a reader would hand them to a user: int64 as decimal strings (JS BigInt), float64 with
// JavaScript's shortest round-trip form, lists as arrays, null as null.
import { readFileSync } from "node:fs";
import { tableFromIPC } from "apache-arrow";

const table = tableFromIPC(readFileSync(process.argv[2]));
const fields = table.schema.fields;
const out = [JSON.stringify({ columns: fields.map((f) => ({ name: f.name, type: String(f.type) })) })];
const cell = (v) => {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v.toArray === "function") return Array.from(v.toArray(), cell);
  return String(v);
};
for (let r = 0; r < table.numRows; r++) {
  out.push(JSON.stringify(fields.map((_, c) => cell(table.getChildAt(c).get(r)))));
}
process.stdout.write(out.join("\n") + "\n");
