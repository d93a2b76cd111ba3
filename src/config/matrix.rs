//! The axes of the benchmark matrix: strategies, states, changes, builder drivers and
//! image stores, with their stable names (a public interface: records and scenario files use them).
//!
//! Each axis is a clap [`ValueEnum`](clap::ValueEnum), so `--help` lists the
//! accepted names; [`FromStr`] parses the same names from scenario files, and its
//! error (`unknown strategy `x`; expected one of: …`) is also what a bad flag value
//! says (see [`crate::config::cli::value_error`]).

use std::fmt;
use std::str::FromStr;

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident, $what:literal, { $($(#[$vm:meta])* $var:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $var),+ }

        impl $name {
            /// Every value, in the default run order.
            pub const ALL: &'static [$name] = &[$($name::$var),+];

            /// The stable name.
            pub fn name(self) -> &'static str {
                match self { $($name::$var => $s),+ }
            }

            /// The accepted names, for error messages.
            pub fn names() -> String {
                [$($s),+].join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($s => Ok($name::$var),)+
                    _ => Err(format!("unknown {} `{}`; expected one of: {}", $what, s.escape_debug(), Self::names())),
                }
            }
        }

        impl clap::ValueEnum for $name {
            fn value_variants<'a>() -> &'a [Self] {
                Self::ALL
            }
            fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
                Some(clap::builder::PossibleValue::new(self.name()))
            }
        }
    };
}

named_enum!(
    /// How an image is built, cached and shipped. The README maps each to its commands.
    Strategy, "strategy", {
        /// `DOCKER_BUILDKIT=0 docker build`.
        Legacy => "legacy",
        /// `docker buildx build --load` on the docker driver.
        Buildkit => "buildkit",
        /// `docker buildx build --load`, then `docker push`.
        LoadPush => "load-push",
        /// `docker buildx build --push`.
        Push => "push",
        /// Registry cache, ECR style (`mode=max,image-manifest=true,oci-mediatypes=true`).
        RegistryCache => "registry-cache",
        /// Local cache folder rotated as actions/cache does.
        LocalCache => "local-cache",
        /// Inline cache in the pushed image.
        InlineCache => "inline-cache",
        /// GitHub Actions cache service (needs ACTIONS_CACHE_URL and ACTIONS_RUNTIME_TOKEN).
        GhaCache => "gha-cache",
        /// CodeBuild LOCAL_DOCKER_LAYER_CACHE: the engine's layer store kept on a warm host.
        LayerCache => "layer-cache",
    }
);

named_enum!(
    /// The state a build starts from.
    State, "state", {
        /// Empty local build cache, no image, remote cache never used: a fresh CI runner.
        Cold => "cold",
        /// The previous build's local state kept: a warm host or self-hosted runner.
        WarmLocal => "warm-local",
        /// Local state emptied, remote cache filled by a previous build.
        WarmRemote => "warm-remote",
    }
);

named_enum!(
    /// What changed since the build that warmed the state.
    Change, "change", {
        None => "none",
        /// The source file is rewritten with a fresh nonce.
        Source => "source",
        /// The dependency file is rewritten with a fresh nonce.
        Deps => "deps",
    }
);

named_enum!(
    /// The buildx driver that runs BuildKit.
    BuilderKind, "builder", {
        /// The engine's own BuildKit.
        Docker => "docker",
        /// A BuildKit container that cachebench creates (`docker buildx create`).
        DockerContainer => "docker-container",
    }
);

named_enum!(
    /// How the engine stores images: the containerd image store (snapshotters) or the
    /// classic graphdriver store (overlay2), as on hosted CI runners and CodeBuild.
    ImageStore, "image store", {
        /// `"features": {"containerd-snapshotter": true}`.
        Containerd => "containerd",
        /// The overlay2 graphdriver, containerd snapshotter off.
        Classic => "classic",
    }
);

named_enum!(
    /// Which protocol of the GitHub Actions cache service the gha-cache strategy
    /// speaks to cachebench's stand-in: `auto` picks from the builder's BuildKit (v2
    /// from v0.20 on, v1 before), `v1` or `v2` forces one.
    #[derive(Default)]
    GhaProtocol, "gha cache protocol", {
        #[default]
        Auto => "auto",
        V1 => "v1",
        V2 => "v2",
    }
);

named_enum!(
    /// What a cache export keeps (`mode=` of `--cache-to`) for registry-cache,
    /// local-cache and gha-cache: every intermediate layer (`max`, the default) or
    /// only the final image's layers (`min`).
    CacheMode, "cache mode", {
        /// `mode=max`: every layer of every stage.
        Max => "max",
        /// `mode=min`: the layers of the exported image only.
        Min => "min",
    }
);

/// Export of the registry-cache strategy: `--load` (the usual ECR quick start) or `--push`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CacheOutput {
    Load,
    Push,
}

impl CacheOutput {
    /// The stable name: `load` or `push`.
    pub fn name(self) -> &'static str {
        match self {
            CacheOutput::Load => "load",
            CacheOutput::Push => "push",
        }
    }
}

impl fmt::Display for CacheOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CacheOutput {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "load" => Ok(CacheOutput::Load),
            "push" => Ok(CacheOutput::Push),
            _ => Err(format!(
                "unknown registry cache output `{}`; expected load or push",
                s.escape_debug()
            )),
        }
    }
}

/// One value of the link axis (`--link`, `matrix.links`) and where it was given
/// (`--link`, or `FILE: line N: matrix.links[1]`), for its error. The text is
/// parsed by the link itself (`infra/link/spec.rs`, beyond this layer's reach):
/// [`Options::canonical_links`](crate::config::options::Options::canonical_links)
/// takes its parser and turns every value into the link's canonical name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkValue {
    pub text: String,
    pub at: String,
}

/// The link of a matrix that names none: no proxy in the path.
pub const NO_LINK: &str = "none";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in Strategy::ALL {
            assert_eq!(s.name().parse::<Strategy>().unwrap(), *s);
        }
        for s in State::ALL {
            assert_eq!(s.name().parse::<State>().unwrap(), *s);
        }
        for c in Change::ALL {
            assert_eq!(c.name().parse::<Change>().unwrap(), *c);
        }
        for b in BuilderKind::ALL {
            assert_eq!(b.name().parse::<BuilderKind>().unwrap(), *b);
        }
        for s in ImageStore::ALL {
            assert_eq!(s.name().parse::<ImageStore>().unwrap(), *s);
        }
    }

    #[test]
    fn clap_accepts_the_stable_names() {
        use clap::ValueEnum;
        for s in Strategy::ALL {
            assert_eq!(
                <Strategy as ValueEnum>::from_str(s.name(), false).unwrap(),
                *s
            );
        }
        for s in ImageStore::ALL {
            assert_eq!(
                <ImageStore as ValueEnum>::from_str(s.name(), false).unwrap(),
                *s
            );
        }
        assert_eq!(
            <CacheOutput as ValueEnum>::from_str("push", false).unwrap(),
            CacheOutput::Push
        );
        assert!(<State as ValueEnum>::from_str("lukewarm", false).is_err());
    }

    #[test]
    fn unknown_name_lists_the_accepted_ones() {
        let err = "fast".parse::<Strategy>().unwrap_err();
        assert!(err.contains("unknown strategy `fast`"), "{err}");
        assert!(err.contains("registry-cache"), "{err}");
    }
}
