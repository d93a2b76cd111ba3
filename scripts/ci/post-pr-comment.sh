#!/usr/bin/env bash
# Posts FILE as cachebench's comment on pull request $PR_NUMBER, or edits the one it
# posted before (found by the marker line pr_comment.py starts it with), with the
# GitHub CLI.
#
# Usage: post-pr-comment.sh FILE
# Environment: GH_TOKEN (pull-requests: write), GITHUB_REPOSITORY, PR_NUMBER.
set -euo pipefail

file=${1:?usage: post-pr-comment.sh FILE}
: "${GITHUB_REPOSITORY:?set by the runner}"
: "${PR_NUMBER:?the pull request number}"
marker='<!-- cachebench-pr-comment -->'
head -n 1 "$file" | grep -qF "$marker" || { echo "post-pr-comment: $file does not start with $marker" >&2; exit 2; }

existing=$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" \
  --jq ".[] | select(.user.login == \"github-actions[bot]\" and (.body | startswith(\"$marker\"))) | .id" | head -n 1)
if [ -n "$existing" ]; then
  gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$existing" -F "body=@$file" >/dev/null
  echo "post-pr-comment: edited comment $existing on #$PR_NUMBER" >&2
else
  gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" -F "body=@$file" >/dev/null
  echo "post-pr-comment: commented on #$PR_NUMBER" >&2
fi
