// Validates every offer Function fixture with Shopify's own test helpers
// (@shopify/shopify-function-test-helpers `validateTestAssets`): input.graphql against
// schema.graphql, each *.input.json against the query's shape, and each recorded output as the
// argument of the schema's `run` mutation. Run by scripts/test.sh; exits 1 on any error.
//   node tools/validate-fixtures.mjs [fixtures dir]
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  loadInputQuery,
  loadSchema,
  validateTestAssets,
} from "@shopify/shopify-function-test-helpers";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dir = process.argv[2] ?? path.join(root, "tests/fixtures");
const schema = await loadSchema(path.join(root, "schema.graphql"));
const inputQueryAST = await loadInputQuery(path.join(root, "input.graphql"));

// Pairs: <name>.input.json + <name>.output.json, and the benchmarks <name>.json + <name>.output.json.
const pairs = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith(".output.json"))
  .map((f) => f.slice(0, -".output.json".length))
  .sort()
  .map((name) => {
    const input = fs.existsSync(path.join(dir, `${name}.input.json`))
      ? `${name}.input.json`
      : `${name}.json`;
    return { name, input, output: `${name}.output.json` };
  });

const read = (f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
let failed = 0;
for (const pair of pairs) {
  const fixture = {
    export: "run",
    input: read(pair.input),
    expectedOutput: read(pair.output),
    target: null,
  };
  const result = await validateTestAssets({
    schema,
    fixture,
    inputQueryAST,
    mutationName: "run",
    resultParameterName: "result",
  });
  const errors = [
    ...(result.error ? [result.error] : []),
    ...result.inputQuery.errors.map((e) => `query: ${e.message}`),
    ...result.inputFixture.errors.map((e) => `input: ${e.message ?? JSON.stringify(e)}`),
    ...result.outputFixture.errors.map((e) => `output: ${e.message}`),
  ];
  if (errors.length > 0) {
    failed += 1;
    console.error(`${pair.name}:\n  ${errors.join("\n  ")}`);
  }
}
if (pairs.length === 0) {
  console.error(`no fixture pairs in ${dir}`);
  process.exit(1);
}
console.log(`${pairs.length - failed} of ${pairs.length} fixture pairs valid against schema.graphql and input.graphql`);
process.exit(failed === 0 ? 0 : 1);
