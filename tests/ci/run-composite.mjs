// A simulated GitHub runner for a composite action: enough of one to run ci/github-action here.
//
//   node run-composite.mjs ACTION_DIR INPUTS_JSON RESULT_JSON
//
// Reads ACTION_DIR/action.yml, applies the input defaults, and runs the steps in order in the
// current directory: a `run:` step with `bash --noprofile --norc -eo pipefail` (the runner's
// `shell: bash`) and its env: evaluated, with GITHUB_ACTION_PATH, a fresh GITHUB_OUTPUT per step
// (read back as the step's outputs), and the caller's GITHUB_STEP_SUMMARY and RUNNER_TEMP; a
// `uses:` step is not run, only recorded with its evaluated with: (there is no actions/cache here).
// Expressions: inputs.X, steps.ID.outputs.X, github.action_path, github.action_ref,
// github.action_repository, runner.temp, 'literals', == and != in if:; anything else is an error,
// so that the simulation never silently differs. The action's ref and repository (as in
// `uses: REPOSITORY/path@REF`) come from this script's GITHUB_ACTION_REF and
// GITHUB_ACTION_REPOSITORY; as the real runner does for a composite action (actions/runner#2473),
// the steps get those two variables empty: only the expressions have them.
// RESULT_JSON gets {outputs, steps: [{id, uses?, with?, skipped?, outputs?}], failed, exitCode}.
import { createRequire } from "node:module";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const tools = process.env.DOCKERDIFF_CI_TOOLS ?? path.join(path.dirname(new URL(import.meta.url).pathname), "node_modules");
const yaml = createRequire(path.join(tools, "noop.js"))("js-yaml");

const [actionDir, inputsFile, resultFile] = process.argv.slice(2);
if (!resultFile) throw new Error("usage: run-composite.mjs ACTION_DIR INPUTS_JSON RESULT_JSON");
for (const name of ["GITHUB_STEP_SUMMARY", "RUNNER_TEMP"]) {
  if (!process.env[name]) throw new Error(`${name} must be set`);
}
const action = yaml.load(fs.readFileSync(path.join(actionDir, "action.yml"), "utf8"));
if (action.runs?.using !== "composite") throw new Error("not a composite action");

const given = JSON.parse(fs.readFileSync(inputsFile, "utf8"));
const inputs = {};
for (const [name, spec] of Object.entries(action.inputs ?? {})) inputs[name] = String(given[name] ?? spec.default ?? "");
for (const name of Object.keys(given)) if (!(name in inputs)) throw new Error(`unexpected input ${name}`);

const stepOutputs = {};
const context = {
  inputs,
  steps: stepOutputs,
  github: {
    action_path: path.resolve(actionDir),
    action_ref: process.env.GITHUB_ACTION_REF ?? "",
    action_repository: process.env.GITHUB_ACTION_REPOSITORY ?? "",
  },
  runner: { temp: process.env.RUNNER_TEMP },
};

function operand(text) {
  text = text.trim();
  const literal = /^'((?:[^']|'')*)'$/.exec(text);
  if (literal) return literal[1].replaceAll("''", "'");
  const parts = text.split(".");
  if (!/^[\w.-]+$/.test(text) || !(parts[0] in context)) throw new Error(`unsupported expression: ${text}`);
  let value = context;
  for (const part of parts) value = value?.[part];
  return value ?? "";
}
function evaluate(expr) {
  const m = /^(.*?)(==|!=)(.*)$/.exec(expr);
  if (!m) return operand(expr);
  const equal = String(operand(m[1])).toLowerCase() === String(operand(m[3])).toLowerCase();
  return m[2] === "==" ? equal : !equal;
}
const interpolate = (value) => String(value).replace(/\$\{\{(.*?)\}\}/g, (_, expr) => String(evaluate(expr)));
const condition = (value) => {
  if (value === undefined) return true;
  const text = String(value).trim().replace(/^\$\{\{(.*)\}\}$/, "$1");
  return evaluate(text) === true;
};

// GITHUB_OUTPUT lines: NAME=VALUE, or NAME<<DELIMITER … DELIMITER.
function readOutputs(file) {
  const out = {};
  const lines = fs.readFileSync(file, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[i]);
    if (heredoc) {
      const body = [];
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) body.push(lines[i]);
      out[heredoc[1]] = body.join("\n");
    } else if (lines[i].includes("=")) {
      const at = lines[i].indexOf("=");
      out[lines[i].slice(0, at)] = lines[i].slice(at + 1);
    }
  }
  return out;
}

const result = { outputs: {}, steps: [], failed: false, exitCode: 0 };
for (const [index, step] of (action.runs.steps ?? []).entries()) {
  const id = step.id ?? `step${index}`;
  const record = { id };
  result.steps.push(record);
  if (!condition(step.if)) {
    record.skipped = true;
    continue;
  }
  if (step.uses) {
    record.uses = step.uses;
    record.with = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, interpolate(v)]));
    continue;
  }
  if (step.shell !== "bash") throw new Error(`step ${id}: shell ${step.shell} is not simulated`);
  const outputFile = path.join(process.env.RUNNER_TEMP, `github-output-${id}-${process.pid}`);
  const scriptFile = path.join(process.env.RUNNER_TEMP, `github-step-${id}-${process.pid}.sh`);
  fs.writeFileSync(outputFile, "");
  fs.writeFileSync(scriptFile, String(step.run));
  const env = {
    ...process.env,
    GITHUB_ACTION_PATH: context.github.action_path,
    GITHUB_ACTION_REF: "",
    GITHUB_ACTION_REPOSITORY: "",
    GITHUB_OUTPUT: outputFile,
  };
  for (const [k, v] of Object.entries(step.env ?? {})) env[k] = interpolate(v);
  const run = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", scriptFile], { env, stdio: "inherit" });
  stepOutputs[id] = { outputs: readOutputs(outputFile) };
  record.outputs = stepOutputs[id].outputs;
  if (run.status !== 0) {
    result.failed = true;
    result.exitCode = run.status ?? 1;
    break;
  }
}
if (!result.failed) {
  for (const [name, spec] of Object.entries(action.outputs ?? {})) result.outputs[name] = interpolate(spec.value);
}
fs.writeFileSync(resultFile, JSON.stringify(result, null, 2) + "\n");
process.exit(result.exitCode);
