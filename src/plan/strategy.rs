//! The exact docker commands of each strategy: argument vectors, never shell strings.
//!
//! The README's strategy table is the human-readable copy of this file; `cachebench
//! plan` prints what [`commands`] returns, so the two can be checked against each
//! other.

use crate::config::matrix::{CacheMode, CacheOutput, State, Strategy};
use std::path::PathBuf;

/// What a command is for; decides how its time is attributed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A build (BuildKit rawjson or legacy output).
    Build,
    /// A separate `docker push`.
    Push,
    /// `docker buildx create` of the run's docker-container builder (timed as the
    /// `builder_create` phase).
    BuilderCreate,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Build => "build",
            Role::Push => "push",
            Role::BuilderCreate => "builder_create",
        }
    }
}

/// The output format a build command writes, so the right parser is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// `--progress=rawjson` on stderr.
    RawJson,
    /// Legacy builder `Step N/M` lines.
    Legacy,
    /// Anything else (push output): timestamped lines only.
    Plain,
}

/// One docker command of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerCommand {
    pub role: Role,
    pub format: OutputFormat,
    /// Extra environment (on top of the docker environment of the engine).
    pub env: Vec<(String, String)>,
    /// Arguments after `docker`.
    pub args: Vec<String>,
}

impl DockerCommand {
    /// The command as a user would type it (for `plan` and logs only; never run
    /// through a shell).
    pub fn display(&self) -> String {
        let mut s = String::new();
        for (k, v) in &self.env {
            s.push_str(&format!("{k}={} ", shell_quote(v)));
        }
        s.push_str("docker");
        for a in &self.args {
            s.push(' ');
            s.push_str(&shell_quote(a));
        }
        s
    }
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Where one run's artefacts live: refs, tags and folders unique to that run.
#[derive(Debug, Clone)]
pub struct RunTarget {
    /// Build context (cachebench's copy).
    pub context: PathBuf,
    /// Dockerfile path as given to `-f`.
    pub dockerfile: PathBuf,
    pub build_args: Vec<(String, String)>,
    /// Image reference, `REPO:TAG` in the registry (also used as the local tag).
    pub image: String,
    /// Registry cache reference, `REPO:TAG`.
    pub cache_ref: String,
    /// Local cache folder (the one actions/cache would restore).
    pub cache_dir: PathBuf,
    /// gha cache scope.
    pub gha_scope: String,
    /// Builder to use with `--builder` (buildx), absent for the engine's default.
    pub builder: Option<String>,
    pub registry_cache_output: CacheOutput,
    /// The `type=gha,…` attributes of the cache service this run talks to (URL,
    /// token, protocol version and scope), set by the run when it uses cachebench's
    /// stand-in; `None` on a GitHub runner, where buildx fills `url` and `token`
    /// from `ACTIONS_CACHE_URL` / `ACTIONS_RUNTIME_TOKEN`.
    pub gha_attrs: Option<String>,
    /// local-cache's `-new` rotation: export to [`RunTarget::cache_dir_new`] and move
    /// it over `cache_dir` after the build (on), or export over `cache_dir` (off).
    pub local_cache_rotate: bool,
    /// The cell's link (`none`, a preset or figures): every remote cache of the
    /// run, the gha stand-in and actions/cache's transfers included, is reached
    /// through it.
    pub link: String,
    /// `mode=` of the registry, local and gha cache exports.
    pub cache_mode: CacheMode,
}

impl RunTarget {
    /// The folder the local-cache strategy exports to before rotation.
    pub fn cache_dir_new(&self) -> PathBuf {
        let mut p = self.cache_dir.clone().into_os_string();
        p.push("-new");
        PathBuf::from(p)
    }

    /// The folder local-cache's `--cache-to` writes: `DIR-new` with the rotation,
    /// `DIR` itself without (BuildKit then adds to the folder it imported from).
    pub fn cache_export_dir(&self) -> PathBuf {
        if self.local_cache_rotate {
            self.cache_dir_new()
        } else {
            self.cache_dir.clone()
        }
    }

    /// The `type=gha` attributes of `--cache-from`: the stand-in's, or the scope
    /// alone on a GitHub runner.
    pub fn gha_cache_from(&self) -> String {
        match &self.gha_attrs {
            Some(a) => a.clone(),
            None => format!("type=gha,scope={}", self.gha_scope),
        }
    }

    /// The `type=gha` attributes of `--cache-to` (with `mode=max`, about one entry
    /// per new layer).
    pub fn gha_cache_to(&self) -> String {
        let mode = self.cache_mode.name();
        match &self.gha_attrs {
            Some(a) => format!("{a},mode={mode}"),
            None => format!("type=gha,mode={mode},scope={}", self.gha_scope),
        }
    }
}

/// True when a job of `strategy` in `state` restores and saves its cache folder
/// with actions/cache around the build: local-cache on an ephemeral runner
/// (warm-remote), timed as the `cache_restore` and `cache_save` phases.
pub fn uses_actions_cache(strategy: Strategy, state: State) -> bool {
    strategy == Strategy::LocalCache && state == State::WarmRemote
}

/// The measured commands of one run of `strategy`, in order.
pub fn commands(strategy: Strategy, t: &RunTarget) -> Vec<DockerCommand> {
    let buildx = |extra: Vec<String>| -> DockerCommand {
        let mut args: Vec<String> = vec!["buildx".into(), "build".into()];
        if let Some(b) = &t.builder {
            args.push("--builder".into());
            args.push(b.clone());
        }
        args.push("--progress=rawjson".into());
        args.push("-f".into());
        args.push(t.dockerfile.display().to_string());
        for (k, v) in &t.build_args {
            args.push("--build-arg".into());
            args.push(format!("{k}={v}"));
        }
        args.push("-t".into());
        args.push(t.image.clone());
        args.extend(extra);
        args.push(t.context.display().to_string());
        DockerCommand {
            role: Role::Build,
            format: OutputFormat::RawJson,
            env: vec![],
            args,
        }
    };
    let push = || DockerCommand {
        role: Role::Push,
        format: OutputFormat::Plain,
        env: vec![],
        args: vec!["push".into(), t.image.clone()],
    };
    let s = |x: &str| x.to_string();
    let mode = t.cache_mode.name();
    match strategy {
        Strategy::Legacy => {
            let mut args = vec![s("build"), s("-f"), t.dockerfile.display().to_string()];
            for (k, v) in &t.build_args {
                args.push("--build-arg".into());
                args.push(format!("{k}={v}"));
            }
            args.push("-t".into());
            args.push(t.image.clone());
            args.push(t.context.display().to_string());
            vec![DockerCommand {
                role: Role::Build,
                format: OutputFormat::Legacy,
                env: vec![(s("DOCKER_BUILDKIT"), s("0"))],
                args,
            }]
        }
        Strategy::Buildkit | Strategy::LayerCache => vec![buildx(vec![s("--load")])],
        Strategy::LoadPush => vec![buildx(vec![s("--load")]), push()],
        Strategy::Push => vec![buildx(vec![s("--push")])],
        Strategy::RegistryCache => {
            let out = match t.registry_cache_output {
                CacheOutput::Load => "--load",
                CacheOutput::Push => "--push",
            };
            vec![buildx(vec![
                s("--cache-from"),
                format!("type=registry,ref={}", t.cache_ref),
                s("--cache-to"),
                format!(
                    "type=registry,ref={},mode={mode},image-manifest=true,oci-mediatypes=true",
                    t.cache_ref
                ),
                s(out),
            ])]
        }
        Strategy::LocalCache => vec![buildx(vec![
            s("--cache-from"),
            format!("type=local,src={}", t.cache_dir.display()),
            s("--cache-to"),
            format!(
                "type=local,dest={},mode={mode}",
                t.cache_export_dir().display()
            ),
            s("--load"),
        ])],
        Strategy::InlineCache => vec![buildx(vec![
            s("--cache-from"),
            format!("type=registry,ref={}", t.image),
            s("--cache-to"),
            s("type=inline"),
            s("--push"),
        ])],
        Strategy::GhaCache => vec![buildx(vec![
            s("--cache-from"),
            t.gha_cache_from(),
            s("--cache-to"),
            t.gha_cache_to(),
            s("--load"),
        ])],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> RunTarget {
        RunTarget {
            context: "/tmp/ctx".into(),
            dockerfile: "/tmp/ctx/Dockerfile".into(),
            build_args: vec![("A".into(), "1 2".into())],
            image: "127.0.0.1:5000/cachebench:r1-img".into(),
            cache_ref: "127.0.0.1:5000/cachebench:r1-cache".into(),
            cache_dir: "/tmp/cache/d".into(),
            gha_scope: "cachebench-r1".into(),
            builder: None,
            registry_cache_output: CacheOutput::Load,
            gha_attrs: None,
            local_cache_rotate: true,
            link: "none".into(),
            cache_mode: CacheMode::Max,
        }
    }

    #[test]
    fn registry_cache_is_ecr_style() {
        let c = commands(Strategy::RegistryCache, &target());
        assert_eq!(c.len(), 1);
        let line = c[0].display();
        assert!(line.contains("--cache-to type=registry,ref=127.0.0.1:5000/cachebench:r1-cache,mode=max,image-manifest=true,oci-mediatypes=true"), "{line}");
        assert!(
            line.contains("--cache-from type=registry,ref=127.0.0.1:5000/cachebench:r1-cache"),
            "{line}"
        );
        assert!(line.ends_with("--load /tmp/ctx"), "{line}");
        assert!(line.contains("--build-arg 'A=1 2'"), "{line}");
    }

    #[test]
    fn load_push_is_two_commands() {
        let c = commands(Strategy::LoadPush, &target());
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].role, Role::Push);
        assert_eq!(c[1].args, vec!["push", "127.0.0.1:5000/cachebench:r1-img"]);
    }

    #[test]
    fn legacy_disables_buildkit() {
        let c = commands(Strategy::Legacy, &target());
        assert_eq!(c[0].env, vec![("DOCKER_BUILDKIT".into(), "0".into())]);
        assert_eq!(c[0].format, OutputFormat::Legacy);
        assert_eq!(c[0].args[0], "build");
    }

    #[test]
    fn local_cache_rotates_through_a_new_folder() {
        let c = commands(Strategy::LocalCache, &target());
        let line = c[0].display();
        assert!(line.contains("type=local,src=/tmp/cache/d "), "{line}");
        assert!(
            line.contains("type=local,dest=/tmp/cache/d-new,mode=max"),
            "{line}"
        );
    }

    #[test]
    fn local_cache_without_rotation_exports_over_its_own_folder() {
        let mut t = target();
        t.local_cache_rotate = false;
        let line = commands(Strategy::LocalCache, &t)[0].display();
        assert!(line.contains("type=local,src=/tmp/cache/d "), "{line}");
        assert!(
            line.contains("type=local,dest=/tmp/cache/d,mode=max"),
            "{line}"
        );
        assert!(!line.contains("d-new"), "{line}");
    }

    #[test]
    fn gha_cache_names_the_stand_in_or_leaves_the_runner_to_buildx() {
        let mut t = target();
        let line = commands(Strategy::GhaCache, &t)[0].display();
        assert!(
            line.contains("--cache-from type=gha,scope=cachebench-r1 --cache-to type=gha,mode=max,scope=cachebench-r1 --load"),
            "{line}"
        );
        let attrs = "type=gha,url=http://127.0.0.1:9/,url_v2=http://127.0.0.1:9/,version=2,token=T,scope=cachebench-r1";
        t.gha_attrs = Some(attrs.into());
        let c = commands(Strategy::GhaCache, &t);
        let from = c[0].args.iter().position(|a| a == "--cache-from").unwrap();
        let to = c[0].args.iter().position(|a| a == "--cache-to").unwrap();
        assert_eq!(c[0].args[from + 1], attrs);
        assert_eq!(c[0].args[to + 1], format!("{attrs},mode=max"));
    }

    #[test]
    fn cache_mode_min_reaches_every_cache_export() {
        let mut t = target();
        t.cache_mode = CacheMode::Min;
        for (strategy, want) in [
            (
                Strategy::RegistryCache,
                "type=registry,ref=127.0.0.1:5000/cachebench:r1-cache,mode=min,",
            ),
            (
                Strategy::LocalCache,
                "type=local,dest=/tmp/cache/d-new,mode=min",
            ),
            (Strategy::GhaCache, "type=gha,mode=min,scope=cachebench-r1"),
        ] {
            let line = commands(strategy, &t)[0].display();
            assert!(line.contains(want), "{strategy}: {line}");
            assert!(!line.contains("mode=max"), "{strategy}: {line}");
        }
    }

    #[test]
    fn container_builder_is_named() {
        let mut t = target();
        t.builder = Some("cachebench-x".into());
        let c = commands(Strategy::Push, &t);
        assert_eq!(
            &c[0].args[..4],
            &["buildx", "build", "--builder", "cachebench-x"]
        );
    }
}
