#!/usr/bin/env bash
# Checks the links between the README, docs/ and results/README.md: every relative
# link `[text](path)` or `[text](path#anchor)` must name a file or folder that
# exists, and an anchor must be a heading of the Markdown file it points into
# (GitHub's slugs: lower case, punctuation dropped, spaces to hyphens). Links to
# http(s) and mailto are not followed. Needs nothing but bash, grep, awk and sed.
#
#   bash scripts/check-doc-links.sh [FILE.md...]   (default: README.md docs/*.md results/README.md)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then files=("$@"); else files=(README.md docs/*.md results/README.md); fi

# The anchors of a Markdown file's headings, one a line (fenced code skipped; a
# repeated heading gets -1, -2, … as on GitHub).
anchors() {
  awk '/^(```|~~~)/ { fence = !fence; next }
       !fence && /^#+ / { sub(/^#+ +/, ""); print }' "$1" |
    tr '[:upper:]' '[:lower:]' |
    sed -e 's/[^[:alnum:] _-]//g' -e 's/ /-/g' |
    awk '{ n = seen[$0]++; print (n ? $0 "-" n : $0) }'
}

bad=0
checked=0
for f in "${files[@]}"; do
  dir=$(dirname "$f")
  # Inline links and images outside fenced code, as `line<TAB>target`.
  while IFS=$'\t' read -r line target; do
    case $target in http://* | https://* | mailto:*) continue ;; esac
    checked=$((checked + 1))
    path=${target%%#*}
    anchor=""
    [ "$path" != "$target" ] && anchor=${target#*#}
    if [ -z "$path" ]; then dest=$f; else dest=$dir/$path; fi
    if [ ! -e "$dest" ]; then
      echo "$f:$line: $target: no such file" >&2
      bad=$((bad + 1))
      continue
    fi
    if [ -n "$anchor" ]; then
      if [ ! -f "$dest" ] || ! anchors "$dest" | grep -qxF -- "$anchor"; then
        echo "$f:$line: $target: no heading with the anchor #$anchor in $dest" >&2
        bad=$((bad + 1))
      fi
    fi
  done < <(awk '/^(```|~~~)/ { fence = !fence; next }
                !fence { s = $0
                  while (match(s, /\]\([^) ]+\)/)) {
                    print FNR "\t" substr(s, RSTART + 2, RLENGTH - 3)
                    s = substr(s, RSTART + RLENGTH)
                  } }' "$f")
done
if [ "$bad" -gt 0 ]; then
  echo "check-doc-links: $bad of $checked links broken" >&2
  exit 1
fi
echo "check-doc-links: $checked links in ${#files[@]} files resolve"
