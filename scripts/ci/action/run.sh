#!/usr/bin/env bash
# Step 3 of the composite action (action.yml): turns the action's inputs (INPUT_*,
# passed through `env:`) into one `cachebench run` argument vector and runs it.
# Nothing here is evaluated by a shell: lists are split on spaces, commas and new
# lines into array elements, and `args` is one argument per line.
#
# With INPUT_SUMMARY true, cachebench writes github.md (opening with the Decision)
# to the job summary. Writes to $GITHUB_OUTPUT: `results` (the results folder) and `exit-code`. Always
# exits 0 so that the report and the upload still run; the last step (finish.sh)
# turns the exit code into the step's result.
set -euo pipefail

: "${GITHUB_OUTPUT:?set by the runner}"
: "${RUNNER_TEMP:?set by the runner}"

# Defaults without a scenario file (with one, its own keys apply).
DEFAULT_CONTEXT=.
DEFAULT_STRATEGIES="buildkit registry-cache local-cache inline-cache gha-cache"
DEFAULT_STATES="cold warm-remote"
DEFAULT_CHANGES=source
DEFAULT_BUILDERS=docker
DEFAULT_REPS=3

scenario=${INPUT_SCENARIO:-}
if [ -z "$scenario" ]; then
  : "${INPUT_CONTEXT:=$DEFAULT_CONTEXT}"
  : "${INPUT_STRATEGIES:=$DEFAULT_STRATEGIES}"
  : "${INPUT_STATES:=$DEFAULT_STATES}"
  : "${INPUT_CHANGES:=$DEFAULT_CHANGES}"
  : "${INPUT_REPS:=$DEFAULT_REPS}"
fi

# The docker driver cannot export a cache on the classic image store (overlay2, what
# hosted runners have): there the default builder is docker-container, which can.
if [ -z "${INPUT_BUILDERS:-}" ] && [ -z "$scenario" ]; then
  INPUT_BUILDERS=$DEFAULT_BUILDERS
  if [ -n "${INPUT_DOCKER_HOST:-}" ]; then
    store=$(DOCKER_HOST=$INPUT_DOCKER_HOST docker info --format '{{.Driver}} {{json .DriverStatus}}' 2>/dev/null || true)
    case "$store" in
      *io.containerd.snapshotter*) ;;
      "") echo "cachebench action: could not read the engine's image store (docker info); builders: $INPUT_BUILDERS" >&2 ;;
      *)
        INPUT_BUILDERS=docker-container
        echo "cachebench action: the engine uses the classic image store ($store), where the docker driver cannot export a cache: builders: docker-container" >&2
        ;;
    esac
  fi
fi
# A docker-container builder runs a BuildKit image; pull the one cachebench prefers
# when the engine has none (a warning when it cannot).
# With a scenario whose builders are not known here, pull it all the same.
wants_buildkit=" ${INPUT_BUILDERS//,/ } "
[ -n "${INPUT_BUILDERS:-}" ] || [ -z "$scenario" ] || wants_buildkit=" docker-container "
case "$wants_buildkit" in
  *" docker-container "*)
    if [ -n "${INPUT_DOCKER_HOST:-}" ]; then
      buildkit=moby/buildkit:buildx-stable-1
      DOCKER_HOST=$INPUT_DOCKER_HOST docker image inspect "$buildkit" >/dev/null 2>&1 \
        || DOCKER_HOST=$INPUT_DOCKER_HOST docker pull -q "$buildkit" >&2 \
        || echo "cachebench action: warning: could not pull $buildkit; cachebench picks a BuildKit image the engine has (--buildkit-image auto)" >&2
    fi
    ;;
esac

out=${INPUT_OUT:-$RUNNER_TEMP/cachebench-results}
case "$out" in
  /*) ;;
  *) out="$PWD/$out" ;;
esac

args=(run)
[ -z "$scenario" ] || args+=("$scenario")

# one_flag FLAG VALUE: `FLAG VALUE` when VALUE is not empty.
one_flag() { if [ -n "$2" ]; then args+=("$1" "$2"); fi; }
# each_flag FLAG LIST: `FLAG ITEM` for each item of a list split on spaces, commas
# and new lines.
each_flag() {
  local item items
  read -r -d '' -a items < <(printf '%s\0' "${2//,/ }" | tr '\n' ' ') || true
  for item in "${items[@]}"; do
    [ -z "$item" ] || args+=("$1" "$item")
  done
}

one_flag --context "${INPUT_CONTEXT:-}"
one_flag --dockerfile "${INPUT_DOCKERFILE:-}"
one_flag --source-file "${INPUT_SOURCE_FILE:-}"
one_flag --deps-file "${INPUT_DEPS_FILE:-}"
each_flag --strategy "${INPUT_STRATEGIES:-}"
each_flag --state "${INPUT_STATES:-}"
each_flag --change "${INPUT_CHANGES:-}"
each_flag --builder "${INPUT_BUILDERS:-}"
one_flag --reps "${INPUT_REPS:-}"
one_flag --link "${INPUT_LINK:-}"
one_flag --registry "${INPUT_REGISTRY:-}"
one_flag --shard "${INPUT_SHARD:-}"
if [ -n "${INPUT_DOCKER_HOST:-}" ]; then
  # The runner's engine is the job's own: its build cache may be emptied.
  args+=(--docker-host "$INPUT_DOCKER_HOST" --allow-prune)
fi
args+=(--out "$out")
if [ -n "${INPUT_ARGS:-}" ]; then
  while IFS= read -r line; do
    [ -z "$line" ] || args+=("$line")
  done <<<"$INPUT_ARGS"
fi

printf 'results=%s\n' "$out" >>"$GITHUB_OUTPUT"
printf 'cachebench'
printf ' %q' "${args[@]}"
printf '\n'
# cachebench appends github.md to $GITHUB_STEP_SUMMARY itself; `summary: false`
# keeps it out of the job summary.
summary=()
[ "${INPUT_SUMMARY:-true}" = true ] || summary=(env -u GITHUB_STEP_SUMMARY)
code=0
"${summary[@]}" cachebench "${args[@]}" || code=$?
printf 'exit-code=%s\n' "$code" >>"$GITHUB_OUTPUT"
if [ "$code" != 0 ]; then
  printf '::warning title=cachebench::cachebench run exited %s (1: some runs failed; 2: bad input; 3: cachebench failed); the results folder is uploaded all the same\n' "$code"
fi
