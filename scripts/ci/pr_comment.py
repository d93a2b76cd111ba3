#!/usr/bin/env python3
"""Writes cachebench's pull request comment: the pull request's Decision, then the
comparison with the base branch (`cachebench compare` on the same runner), cut at a
line so that the whole comment stays under GitHub's 65,536-character limit, with a
note saying so and a link to the artifact that holds the full report.

Usage: pr_comment.py --decision FILE --compare FILE --out FILE [--compare-exit N]
                     [--artifact-url URL] [--base-artifact-url URL] [--limit N]
"""

import argparse
import pathlib
import sys

MARKER = "<!-- cachebench-pr-comment -->"
GITHUB_LIMIT = 65536


def read(path):
    p = pathlib.Path(path) if path else None
    if p is None or not p.is_file():
        return ""
    return p.read_text(encoding="utf-8", errors="replace").strip()


def compare_heading(code):
    return {
        "0": "no regression beyond the threshold",
        "1": "**a regression** (see the table)",
    }.get(code, f"compare could not run (exit {code})" if code else "")


def compose(args):
    artifact = f"[the `cachebench-pull-request` artifact]({args.artifact_url})" if args.artifact_url \
        else "the `cachebench-pull-request` artifact of this run"
    base_artifact = f" ([base branch]({args.base_artifact_url}))" if args.base_artifact_url else ""
    head = f"{MARKER}\n# cachebench on this pull request\n\n"
    decision = read(args.decision) or "## Decision\n\nNo Decision: cachebench wrote no report (see the job log)."
    verdict = compare_heading(args.compare_exit)
    comparison = read(args.compare) or "No comparison: cachebench compare wrote nothing (see the job log)."
    body = (
        f"{decision}\n\n"
        f"## Against the base branch{': ' + verdict if verdict else ''}\n\n"
        "The same small matrix on the base branch and on this pull request, on the same runner.\n\n"
        f"{comparison}\n"
    )
    tail = f"\n---\nFull reports: {artifact}{base_artifact} (report.md, github.md, charts, runs.csv).\n"
    return head, body, tail


def fit(head, body, tail, limit):
    """head + body + tail, the body cut at a line when the whole exceeds `limit`."""
    whole = head + body + tail
    if len(whole) <= limit:
        return whole, False
    note = (
        f"\n\n> **Cut here** at {{kept:,}} of {len(body):,} characters to stay under GitHub's "
        f"{GITHUB_LIMIT:,}-character comment limit: the rest is in the full report (below).\n"
    )
    room = limit - len(head) - len(tail) - len(note) - 16
    if room <= 0:
        raise SystemExit("pr_comment: --limit leaves no room for the comment")
    cut = body[:room]
    if "\n" in cut:
        cut = cut[: cut.rindex("\n")]
    return head + cut + note.format(kept=len(cut)) + tail, True


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--decision", required=True)
    ap.add_argument("--compare", required=True)
    ap.add_argument("--compare-exit", default="")
    ap.add_argument("--artifact-url", default="")
    ap.add_argument("--base-artifact-url", default="")
    ap.add_argument("--out", required=True)
    ap.add_argument("--limit", type=int, default=GITHUB_LIMIT - 536,
                    help="characters at most (GitHub's limit less a margin)")
    args = ap.parse_args(argv)
    text, cut = fit(*compose(args), args.limit)
    pathlib.Path(args.out).write_text(text, encoding="utf-8")
    print(f"pr_comment: {len(text):,} characters{' (cut)' if cut else ''} -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
