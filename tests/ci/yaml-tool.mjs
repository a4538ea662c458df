// YAML queries of the ci tests, with the pinned js-yaml of tests/ci/node_modules.
//
//   node yaml-tool.mjs job-script FILE JOB          the job's script lines as one POSIX sh script
//   node yaml-tool.mjs get FILE KEY...                the value at KEY... of the last document, as JSON
//   node yaml-tool.mjs run-blocks WORKFLOW DIR      each run: block as DIR/<job>-<n>.sh (${{ }} -> X)
//   node yaml-tool.mjs check-action ACTION_YML [WORKFLOW...]
//       action.yml: run: steps take inputs only through env:, outputs name existing steps;
//       workflows: a step that uses the action (…/ci/github-action@… or ./ci/github-action) passes
//       only declared inputs and every required one, and reads only declared outputs of it.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const tools = process.env.DOCKERDIFF_CI_TOOLS ?? path.join(path.dirname(new URL(import.meta.url).pathname), "node_modules");
const yaml = createRequire(path.join(tools, "noop.js"))("js-yaml");

const die = (msg) => {
  console.error(`yaml-tool: ${msg}`);
  process.exit(1);
};
// Every document of FILE (a component has its spec header first); the jobs are in the last one.
const docs = (file) => yaml.loadAll(fs.readFileSync(file, "utf8"));
const lastDoc = (file) => docs(file).at(-1) ?? {};

const [command, ...args] = process.argv.slice(2);
switch (command) {
  case "job-script": {
    const [file, job] = args;
    const spec = lastDoc(file)[job] ?? die(`${file}: no job ${job}`);
    const lines = [].concat(spec.before_script ?? [], spec.script ?? []);
    if (lines.length === 0) die(`${file}: job ${job} has no script`);
    process.stdout.write(["#!/bin/sh", ...lines.flat()].join("\n") + "\n");
    break;
  }
  case "get": {
    const [file, ...keys] = args;
    let value = lastDoc(file);
    for (const key of keys) {
      value = value?.[key];
      if (value === undefined) die(`${file}: no ${keys.join(".")}`);
    }
    process.stdout.write(JSON.stringify(value) + "\n");
    break;
  }
  case "run-blocks": {
    const [workflow, dir] = args;
    fs.mkdirSync(dir, { recursive: true });
    let count = 0;
    for (const [name, job] of Object.entries(lastDoc(workflow).jobs ?? {})) {
      (job.steps ?? []).forEach((step, i) => {
        if (typeof step.run !== "string") return;
        const body = step.run.replace(/\$\{\{[^}]*\}\}/g, "X");
        fs.writeFileSync(path.join(dir, `${name}-${i}.sh`), `#!/usr/bin/env bash\n${body}`);
        count++;
      });
    }
    console.log(count);
    break;
  }
  case "check-action": {
    const [actionFile, ...workflows] = args;
    const action = lastDoc(actionFile);
    const problems = [];
    const inputs = action.inputs ?? {};
    const outputs = action.outputs ?? {};
    const steps = action.runs?.steps ?? [];
    const ids = new Set(steps.map((s) => s.id).filter(Boolean));
    if (action.runs?.using !== "composite") problems.push(`${actionFile}: runs.using is not composite`);
    for (const [i, step] of steps.entries()) {
      if (step.run !== undefined) {
        if (String(step.run).includes("${{")) problems.push(`${actionFile}: step ${step.id ?? i}: an expression inside run: (inputs must come through env:)`);
        if (step.shell !== "bash") problems.push(`${actionFile}: step ${step.id ?? i}: shell is not bash`);
      }
      for (const value of Object.values(step.env ?? {})) {
        for (const m of String(value).matchAll(/inputs\.([\w-]+)/g)) {
          if (!(m[1] in inputs)) problems.push(`${actionFile}: step ${step.id ?? i}: env reads undeclared input ${m[1]}`);
        }
      }
    }
    for (const [name, out] of Object.entries(outputs)) {
      const m = /steps\.([\w-]+)\.outputs\./.exec(String(out.value));
      if (!m || !ids.has(m[1])) problems.push(`${actionFile}: output ${name} does not read a step of the action`);
    }
    for (const file of workflows) {
      for (const [jobName, job] of Object.entries(lastDoc(file).jobs ?? {})) {
        const jobText = JSON.stringify(job);
        for (const step of job.steps ?? []) {
          if (!/(^|\/)ci\/github-action(@|$)/.test(step.uses ?? "")) continue;
          const given = step.with ?? {};
          for (const key of Object.keys(given)) {
            if (!(key in inputs)) problems.push(`${file}: job ${jobName}: input ${key} is not an input of the action`);
          }
          for (const [key, spec] of Object.entries(inputs)) {
            if (spec.required && !(key in given)) problems.push(`${file}: job ${jobName}: required input ${key} is missing`);
          }
          if (!step.id) continue;
          const re = new RegExp(`steps\\.${step.id}\\.outputs\\.([\\w-]+)`, "g");
          for (const m of jobText.matchAll(re)) {
            if (!(m[1] in outputs)) problems.push(`${file}: job ${jobName}: reads undeclared output ${m[1]}`);
          }
        }
      }
    }
    if (problems.length) die(problems.join("\n"));
    break;
  }
  default:
    die("usage: job-script | run-blocks | check-action");
}
