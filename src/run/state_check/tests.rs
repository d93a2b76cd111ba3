//! Unit tests of [`super`]: step records as BuildKit and the legacy builder write them.

use super::*;

fn step(name: &str, cached: bool) -> StepRecord {
    StepRecord {
        name: name.into(),
        duration_ms: 1,
        cached,
    }
}

/// The synthetic workload's steps, as rawjson names them.
fn synthetic(cached: [bool; 5]) -> Vec<StepRecord> {
    let names = [
        "[2/6] WORKDIR /app",
        "[3/6] COPY deps.txt /app/deps.txt",
        "[4/6] RUN dd if=/dev/urandom of=/app/deps.bin bs=1M count=64",
        "[5/6] COPY src/ /app/src/",
        "[6/6] RUN cat /app/src/* | sha256sum > /app/build.sum",
    ];
    names.iter().zip(cached).map(|(n, c)| step(n, c)).collect()
}

fn run(
    state: State,
    change: Change,
    file: Option<&str>,
    steps: &[StepRecord],
    down: u64,
) -> String {
    check(
        &Claim {
            state,
            change,
            changed_file: file.map(Path::new),
        },
        &Evidence {
            steps,
            bytes_down: down,
        },
    )
}

#[test]
fn cold_must_find_nothing_cached() {
    let fresh = synthetic([false; 5]);
    assert_eq!(
        run(State::Cold, Change::Source, Some("src/main.c"), &fresh, 1),
        OK
    );
    let stale = synthetic([true, true, true, false, false]);
    let r = run(State::Cold, Change::Source, Some("src/main.c"), &stale, 1);
    assert!(r.starts_with("cold run found 3 of 5 steps cached"), "{r}");
}

#[test]
fn warm_with_a_source_change_reuses_what_comes_before_and_runs_the_rest() {
    let good = synthetic([true, true, true, false, false]);
    assert_eq!(
        run(
            State::WarmLocal,
            Change::Source,
            Some("src/main.c"),
            &good,
            0
        ),
        OK
    );
    // The bug this check exists for: the "changed" step served from cache.
    let all_cached = synthetic([true; 5]);
    let r = run(
        State::WarmLocal,
        Change::Source,
        Some("src/main.c"),
        &all_cached,
        0,
    );
    assert!(r.contains("`[5/6] COPY src/ /app/src/` reads the changed file src/main.c but was served from cache"), "{r}");
    // Nothing reused: not warm.
    let cold = synthetic([false; 5]);
    let r = run(
        State::WarmLocal,
        Change::Source,
        Some("src/main.c"),
        &cold,
        0,
    );
    assert!(
        r.contains("comes before the changed file is read but ran"),
        "{r}"
    );
}

#[test]
fn a_deps_change_is_read_earlier() {
    let good = synthetic([true, false, false, false, false]);
    assert_eq!(
        run(State::WarmLocal, Change::Deps, Some("deps.txt"), &good, 0),
        OK
    );
    let bad = synthetic([true, true, true, false, false]);
    let r = run(State::WarmLocal, Change::Deps, Some("deps.txt"), &bad, 0);
    assert!(r.contains("COPY deps.txt"), "{r}");
}

#[test]
fn a_change_no_step_reads_is_flagged() {
    let steps = synthetic([true, true, true, true, true]);
    let r = run(
        State::WarmLocal,
        Change::Source,
        Some("README.md"),
        &steps,
        0,
    );
    assert!(r.starts_with("no step reads README.md"), "{r}");
}

#[test]
fn warm_with_no_change_reuses_everything() {
    assert_eq!(
        run(
            State::WarmLocal,
            Change::None,
            None,
            &synthetic([true; 5]),
            0
        ),
        OK
    );
    let r = run(
        State::WarmLocal,
        Change::None,
        None,
        &synthetic([true, true, true, true, false]),
        0,
    );
    assert!(r.contains("rebuilt 1 of 5 steps"), "{r}");
}

#[test]
fn warm_remote_must_download_what_it_reused() {
    let steps = synthetic([true, true, true, false, false]);
    assert_eq!(
        run(
            State::WarmRemote,
            Change::Source,
            Some("src/a"),
            &steps,
            68_000_000
        ),
        OK
    );
    let r = run(State::WarmRemote, Change::Source, Some("src/a"), &steps, 0);
    assert!(r.contains("downloaded nothing"), "{r}");
    // Only metadata reused: nothing to download.
    let meta = vec![
        step("[2/3] WORKDIR /app", true),
        step("[3/3] COPY . /app", false),
    ];
    assert_eq!(
        run(State::WarmRemote, Change::Source, Some("x"), &meta, 0),
        OK
    );
}

#[test]
fn legacy_steps_and_metadata() {
    // The legacy builder's ARG before FROM never says `Using cache`.
    let steps = vec![
        step("Step 1/8 : ARG BASE=local/busybox:latest", false),
        step("Step 3/8 : WORKDIR /app", true),
        step("Step 4/8 : COPY deps.txt /app/deps.txt", true),
        step("Step 5/8 : RUN make deps", true),
        step("Step 6/8 : COPY src/ /app/src/", false),
        step("Step 7/8 : RUN make", false),
        step("Step 8/8 : CMD [\"x\"]", false),
    ];
    assert_eq!(
        run(State::WarmLocal, Change::Source, Some("src/x.c"), &steps, 0),
        OK
    );
}

#[test]
fn multi_stage_names_and_stage_copies() {
    let steps = vec![
        step("[deps 2/4] WORKDIR /deps", true),
        step("[deps 3/4] COPY deps.txt ./", true),
        step("[deps 4/4] RUN build deps", true),
        step("[builder 2/3] COPY src/ ./src/", false),
        step("[builder 3/3] RUN compile", false),
        step("[stage-2 2/2] COPY --from=builder /build/a /a", false),
    ];
    assert_eq!(
        run(
            State::WarmLocal,
            Change::Source,
            Some("src/main.rs"),
            &steps,
            0
        ),
        OK
    );
    assert!(!reads(
        "[stage-2 2/2] COPY --from=builder /build/src /src",
        Path::new("src/x")
    ));
}

#[test]
fn what_reads_a_file() {
    let f = Path::new("app/requirements.txt");
    assert!(reads("[2/5] COPY . .", f));
    assert!(reads("[2/5] COPY ./app/ /srv/", f));
    assert!(reads(
        "[2/5] COPY --chown=1000:1000 app/requirements.txt /tmp/",
        f
    ));
    assert!(reads("[2/5] COPY [\"app/requirements.txt\", \"/tmp/\"]", f));
    assert!(reads("[2/5] ADD app/*.txt /tmp/", f));
    assert!(reads("[2/5] COPY ${APP}/ /srv/", f));
    assert!(!reads("[2/5] COPY app/other.txt /tmp/", f));
    assert!(!reads("[2/5] COPY application/ /srv/", f));
    assert!(!reads("[2/5] RUN pip install -r app/requirements.txt", f));
    assert!(reads(
        "[3/5] RUN --mount=type=cache,target=/root/.cache --mount=type=bind,source=app/requirements.txt,target=/r.txt pip install -r /r.txt",
        f
    ));
    assert!(!reads(
        "[3/5] RUN --mount=type=cache,target=/root/.cache pip install x",
        f
    ));
    assert_eq!(instruction("Step 3/9 : COPY a b"), "COPY a b");
    assert_eq!(instruction("[builder 1/2] RUN x"), "RUN x");
}
