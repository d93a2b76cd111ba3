//! The table of [`super`]: comment syntaxes, the kinds of file by name, prefix,
//! extension and `#!` interpreter, and the lock files a change must not edit.

use super::Edit;
use super::Grammar;
use super::Grammar::{Json, Toml, Unchecked, Yaml};

pub(super) const HASH: Edit = Edit::Comment {
    open: "# ",
    close: "",
};
pub(super) const SLASHES: Edit = Edit::Comment {
    open: "// ",
    close: "",
};
pub(super) const DASHES: Edit = Edit::Comment {
    open: "-- ",
    close: "",
};
pub(super) const MARKUP: Edit = Edit::Comment {
    open: "<!-- ",
    close: " -->",
};
pub(super) const BLOCK: Edit = Edit::Comment {
    open: "/* ",
    close: " */",
};
pub(super) const SEMICOLON: Edit = Edit::Comment {
    open: "; ",
    close: "",
};
pub(super) const SEMICOLONS: Edit = Edit::Comment {
    open: ";; ",
    close: "",
};
pub(super) const PERCENT: Edit = Edit::Comment {
    open: "% ",
    close: "",
};
pub(super) const REM: Edit = Edit::Comment {
    open: "REM ",
    close: "",
};

/// Kinds by extension (lowercase, without the dot).
pub(super) const BY_EXTENSION: &[(&[&str], Edit, &str, Grammar)] = &[
    (&["py", "pyi", "pyw", "pyx"], HASH, "Python", Unchecked),
    (
        &["sh", "bash", "zsh", "ksh", "dash", "ash"],
        HASH,
        "shell",
        Unchecked,
    ),
    (&["toml"], HASH, "TOML", Toml),
    (&["yaml", "yml"], HASH, "YAML", Yaml),
    (&["txt"], HASH, "text (requirements, CMake)", Unchecked),
    (&["rb", "rake", "gemspec", "ru"], HASH, "Ruby", Unchecked),
    (&["pl", "pm"], HASH, "Perl", Unchecked),
    (&["r"], HASH, "R", Unchecked),
    (&["jl"], HASH, "Julia", Unchecked),
    (&["ex", "exs"], HASH, "Elixir", Unchecked),
    (&["nix"], HASH, "Nix", Unchecked),
    (&["tf", "tfvars", "hcl"], HASH, "HCL", Unchecked),
    (&["cmake"], HASH, "CMake", Unchecked),
    (&["mk", "mak"], HASH, "Makefile", Unchecked),
    (
        &["conf", "cfg", "properties"],
        HASH,
        "configuration",
        Unchecked,
    ),
    (&["ps1", "psm1"], HASH, "PowerShell", Unchecked),
    (&["bzl", "star", "bazel"], HASH, "Starlark", Unchecked),
    (
        &["dockerfile", "containerfile"],
        HASH,
        "Dockerfile",
        Unchecked,
    ),
    (
        &["awk", "tcl", "coffee", "cr", "nim"],
        HASH,
        "script",
        Unchecked,
    ),
    (&["ini"], SEMICOLON, "INI", Unchecked),
    (
        &["js", "mjs", "cjs", "jsx", "ts", "tsx", "mts", "cts"],
        SLASHES,
        "JavaScript/TypeScript",
        Unchecked,
    ),
    (&["rs"], SLASHES, "Rust", Unchecked),
    (&["go"], SLASHES, "Go", Unchecked),
    (&["java"], SLASHES, "Java", Unchecked),
    (&["kt", "kts"], SLASHES, "Kotlin", Unchecked),
    (&["c", "h"], SLASHES, "C", Unchecked),
    (
        &["cc", "cpp", "cxx", "hpp", "hh", "hxx"],
        SLASHES,
        "C++",
        Unchecked,
    ),
    (&["cs"], SLASHES, "C#", Unchecked),
    (&["fs", "fsx"], SLASHES, "F#", Unchecked),
    (&["swift"], SLASHES, "Swift", Unchecked),
    (&["scala", "sc"], SLASHES, "Scala", Unchecked),
    (&["dart"], SLASHES, "Dart", Unchecked),
    (&["groovy", "gradle"], SLASHES, "Groovy/Gradle", Unchecked),
    (&["proto"], SLASHES, "Protocol Buffers", Unchecked),
    (&["zig"], SLASHES, "Zig", Unchecked),
    (&["sol"], SLASHES, "Solidity", Unchecked),
    (
        &["jsonc", "json5"],
        SLASHES,
        "JSON with comments",
        Unchecked,
    ),
    (&["sass"], SLASHES, "Sass", Unchecked),
    (&["php"], Edit::Php, "PHP", Unchecked),
    (&["sql"], DASHES, "SQL", Unchecked),
    (&["lua"], DASHES, "Lua", Unchecked),
    (&["hs"], DASHES, "Haskell", Unchecked),
    (&["elm"], DASHES, "Elm", Unchecked),
    (&["cabal"], DASHES, "Cabal", Unchecked),
    (&["html", "htm", "xhtml"], MARKUP, "HTML", Unchecked),
    (
        &["xml", "xsd", "xsl", "xslt", "svg", "plist"],
        MARKUP,
        "XML",
        Unchecked,
    ),
    (
        &["csproj", "fsproj", "vbproj", "props", "targets"],
        MARKUP,
        "MSBuild XML",
        Unchecked,
    ),
    (&["md", "markdown"], MARKUP, "Markdown", Unchecked),
    (
        &["vue", "svelte"],
        MARKUP,
        "single-file component",
        Unchecked,
    ),
    (&["css", "scss", "less"], BLOCK, "CSS", Unchecked),
    (&["tex", "sty"], PERCENT, "TeX", Unchecked),
    (&["erl", "hrl"], PERCENT, "Erlang", Unchecked),
    (
        &["clj", "cljs", "cljc", "edn", "el", "lisp", "scm"],
        SEMICOLONS,
        "Lisp",
        Unchecked,
    ),
    (&["bat", "cmd"], REM, "batch", Unchecked),
    (&["json"], Edit::JsonKey, "JSON", Json),
];

/// Kinds by exact file name (before the extension is looked at).
pub(super) const BY_NAME: &[(&[&str], Edit, &str, Grammar)] = &[
    (
        &["Dockerfile", "Containerfile"],
        HASH,
        "Dockerfile",
        Unchecked,
    ),
    (
        &["Makefile", "makefile", "GNUmakefile"],
        HASH,
        "Makefile",
        Unchecked,
    ),
    (
        &["Gemfile", "Rakefile", "Podfile", "Vagrantfile", "Brewfile"],
        HASH,
        "Ruby",
        Unchecked,
    ),
    (
        &["BUILD", "WORKSPACE", "Tiltfile"],
        HASH,
        "Starlark",
        Unchecked,
    ),
    (
        &[
            "Procfile",
            "Justfile",
            "justfile",
            "Caddyfile",
            "CODEOWNERS",
            ".gitignore",
            ".dockerignore",
            ".gitattributes",
            ".editorconfig",
            ".env",
            ".npmrc",
            ".bazelrc",
        ],
        HASH,
        "configuration",
        Unchecked,
    ),
    (&["Jenkinsfile"], SLASHES, "Groovy", Unchecked),
    (
        &[
            "Pipfile",
            "Cargo.lock",
            "poetry.lock",
            "uv.lock",
            "pdm.lock",
        ],
        HASH,
        "TOML",
        Toml,
    ),
    (&["pubspec.lock"], HASH, "YAML", Yaml),
    (
        &["yarn.lock", "gradle.lockfile"],
        HASH,
        "lock file",
        Unchecked,
    ),
    (&["mix.lock"], HASH, "Elixir", Unchecked),
];

/// Name prefixes of variants (`Dockerfile.prod`, `.env.local`), and the name whose
/// kind they take.
pub(super) const BY_PREFIX: &[(&str, &str)] = &[
    ("Dockerfile.", "Dockerfile"),
    ("Containerfile.", "Dockerfile"),
    (".env.", ".env"),
];

/// Files a change must not edit: the tool that writes them, and the manifest a
/// real change edits instead.
pub(super) const LOCKS: &[(&str, &str, &str)] = &[
    ("package-lock.json", "npm", "package.json"),
    ("npm-shrinkwrap.json", "npm", "package.json"),
    ("bun.lock", "Bun", "package.json"),
    ("bun.lockb", "Bun", "package.json"),
    ("composer.lock", "Composer", "composer.json"),
    ("Pipfile.lock", "Pipenv", "Pipfile"),
    ("deno.lock", "Deno", "deno.json"),
    ("packages.lock.json", "NuGet", "the project's .csproj"),
    ("Package.resolved", "SwiftPM", "Package.swift"),
    ("flake.lock", "Nix", "flake.nix"),
    ("go.sum", "Go", "go.mod"),
    ("Gemfile.lock", "Bundler", "Gemfile"),
];

/// Interpreters of a `#!` line whose comments start with `#` …
pub(super) const HASH_INTERPRETERS: &[&str] = &[
    "sh", "bash", "zsh", "ksh", "dash", "ash", "fish", "python", "ruby", "perl", "rscript", "awk",
    "gawk", "tclsh", "make", "julia", "elixir",
];
/// … and those of JavaScript.
pub(super) const JS_INTERPRETERS: &[&str] = &["node", "nodejs", "deno", "bun", "ts-node", "tsx"];
