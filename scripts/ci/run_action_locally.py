#!/usr/bin/env python3
"""Runs a composite action's steps on this machine the way a GitHub runner would.

The action's inputs take their defaults from action.yml unless given with
`--input NAME=VALUE`; the runner's files (GITHUB_OUTPUT per step, GITHUB_ENV,
GITHUB_PATH, GITHUB_STEP_SUMMARY) and variables (GITHUB_WORKSPACE,
GITHUB_ACTION_PATH, RUNNER_TEMP, GITHUB_ACTIONS, …) are made in --state DIR; each
`run:` step runs with its `shell` (bash as `bash --noprofile --norc -eo pipefail`)
and its `env:`, and `uses:` steps are skipped with a note (no action is fetched).
Expressions are evaluated only in the forms the action uses: `inputs.NAME`,
`steps.ID.outputs.NAME`, `github.action_path`, `github.workspace`, `runner.temp`,
`env.NAME`; any other is an error, and so is an expression inside `run:`.

At the end the action's outputs are written to DIR/outputs in GITHUB_OUTPUT's
format, the job summary is DIR/step-summary.md, and the exit code is the first
failed step's (later steps are skipped, as on a runner).

Usage: run_action_locally.py [--action DIR] [--workspace DIR] --state DIR
                             [--input NAME=VALUE]...
"""

import argparse
import os
import pathlib
import re
import secrets
import subprocess
import sys

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("run-action-locally: PyYAML is missing (apt-get install python3-yaml)")

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
SHELLS = {
    "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail", "{0}"],
    "sh": ["sh", "-e", "{0}"],
    "python": ["python3", "{0}"],
}


def note(msg):
    print(f"run-action-locally: {msg}", file=sys.stderr, flush=True)


def parse_outputs(path):
    """A GITHUB_OUTPUT/GITHUB_ENV file: `k=v` lines and `k<<DELIM` blocks."""
    out = {}
    if not path.exists():
        return out
    lines = path.read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delim = line.split("<<", 1)
            body = []
            while i < len(lines) and lines[i] != delim:
                body.append(lines[i])
                i += 1
            if i >= len(lines):
                raise SystemExit(f"run-action-locally: {path}: `{key}` has no closing {delim}")
            i += 1
            out[key] = "\n".join(body)
        elif "=" in line:
            key, value = line.split("=", 1)
            out[key] = value
        else:
            raise SystemExit(f"run-action-locally: {path}: malformed line {line!r}")
    return out


class Context:
    def __init__(self, inputs, action_path, workspace, temp, env):
        self.inputs = inputs
        self.action_path = action_path
        self.workspace = workspace
        self.temp = temp
        self.env = env
        self.steps = {}

    def value(self, expr, where):
        m = re.fullmatch(r"inputs\.([A-Za-z0-9_-]+)", expr)
        if m:
            if m.group(1) not in self.inputs:
                raise SystemExit(f"run-action-locally: {where}: no input `{m.group(1)}` in action.yml")
            return self.inputs[m.group(1)]
        m = re.fullmatch(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)", expr)
        if m:
            return self.steps.get(m.group(1), {}).get(m.group(2), "")
        m = re.fullmatch(r"env\.([A-Za-z0-9_]+)", expr)
        if m:
            return self.env.get(m.group(1), "")
        known = {
            "github.action_path": self.action_path,
            "github.workspace": self.workspace,
            "runner.temp": self.temp,
        }
        if expr in known:
            return str(known[expr])
        raise SystemExit(f"run-action-locally: {where}: expression `{expr}` is not supported here")

    def render(self, text, where):
        return EXPR.sub(lambda m: self.value(m.group(1), where), str(text))


def write_github_output(path, values):
    with open(path, "a", encoding="utf-8") as f:
        for key, value in values.items():
            if "\n" in value:
                delim = f"ghadelimiter_{secrets.token_hex(8)}"
                f.write(f"{key}<<{delim}\n{value}\n{delim}\n")
            else:
                f.write(f"{key}={value}\n")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--action", default=str(pathlib.Path(__file__).resolve().parents[2]))
    ap.add_argument("--workspace", default=os.getcwd())
    ap.add_argument("--state", required=True)
    ap.add_argument("--input", action="append", default=[], metavar="NAME=VALUE")
    args = ap.parse_args(argv)

    action_path = pathlib.Path(args.action).resolve()
    workspace = pathlib.Path(args.workspace).resolve()
    state = pathlib.Path(args.state).resolve()
    temp = state / "runner-temp"
    temp.mkdir(parents=True, exist_ok=True)
    action = yaml.safe_load((action_path / "action.yml").read_text(encoding="utf-8"))
    if action.get("runs", {}).get("using") != "composite":
        raise SystemExit("run-action-locally: action.yml: runs.using is not `composite`")

    inputs = {name: str(spec.get("default", "")) for name, spec in (action.get("inputs") or {}).items()}
    for pair in args.input:
        name, sep, value = pair.partition("=")
        if not sep or name not in inputs:
            raise SystemExit(f"run-action-locally: --input {pair!r}: expected NAME=VALUE with NAME one of {sorted(inputs)}")
        inputs[name] = value

    files = {
        "GITHUB_ENV": state / "env",
        "GITHUB_PATH": state / "path",
        "GITHUB_STEP_SUMMARY": state / "step-summary.md",
    }
    for f in files.values():
        f.touch()
    base_env = dict(os.environ)
    base_env.update({
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_ACTION_PATH": str(action_path),
        "GITHUB_REPOSITORY": base_env.get("GITHUB_REPOSITORY", "local/cachebench"),
        "GITHUB_RUN_ID": base_env.get("GITHUB_RUN_ID", "1"),
        "GITHUB_JOB": "local",
        "RUNNER_TEMP": str(temp),
        "RUNNER_OS": "Linux",
        **{k: str(v) for k, v in files.items()},
    })
    # Not a runner of GitHub's: no cache service, no token.
    for k in list(base_env):
        if k.startswith("ACTIONS_"):
            del base_env[k]

    ctx = Context(inputs, action_path, workspace, temp, base_env)
    code = 0
    for n, step in enumerate(action["runs"]["steps"], 1):
        name = step.get("name") or step.get("uses") or f"step {n}"
        where = f"action.yml step {n} ({name})"
        if code != 0:
            note(f"skipped after a failure: {name}")
            continue
        if "uses" in step:
            note(f"skipped {name}: `uses: {step['uses']}` runs only on a GitHub runner")
            continue
        if "if" in step:
            raise SystemExit(f"run-action-locally: {where}: `if:` is not supported here")
        script = str(step["run"])
        if EXPR.search(script):
            raise SystemExit(f"run-action-locally: {where}: an expression inside `run:`; pass it through `env:`")
        shell = step.get("shell")
        if shell not in SHELLS:
            raise SystemExit(f"run-action-locally: {where}: shell {shell!r}: use one of {sorted(SHELLS)}")
        env = dict(base_env)
        env.update(parse_outputs(files["GITHUB_ENV"]))
        extra_path = [p for p in files["GITHUB_PATH"].read_text(encoding="utf-8").splitlines() if p]
        if extra_path:
            env["PATH"] = os.pathsep.join(reversed(extra_path)) + os.pathsep + env.get("PATH", "")
        ctx.env = env
        for key, value in (step.get("env") or {}).items():
            env[key] = ctx.render(value, where)
        output = state / f"output-{n}"
        output.write_text("", encoding="utf-8")
        env["GITHUB_OUTPUT"] = str(output)
        script_file = temp / f"step-{n}.sh"
        script_file.write_text(script, encoding="utf-8")
        cwd = workspace / ctx.render(step.get("working-directory", "."), where)
        note(f"running {name}")
        argv_ = [a.replace("{0}", str(script_file)) for a in SHELLS[shell]]
        code = subprocess.run(argv_, cwd=cwd, env=env, check=False).returncode
        if "id" in step:
            ctx.steps[step["id"]] = parse_outputs(output)
        if code != 0:
            note(f"{name} failed with exit {code}")

    outputs = {
        name: ctx.render(spec.get("value", ""), f"action.yml outputs.{name}")
        for name, spec in (action.get("outputs") or {}).items()
    }
    (state / "outputs").write_text("", encoding="utf-8")
    write_github_output(state / "outputs", outputs)
    note(f"outputs in {state / 'outputs'}, job summary in {files['GITHUB_STEP_SUMMARY']}")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
