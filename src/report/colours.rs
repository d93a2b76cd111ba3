//! What each colour means, the same in every chart (PNG, SVG and Mermaid) and in
//! the legends: one colour for wall time (bars and run dots), one for bytes left in
//! the registry, and one per group of phases. The colours are those of the coloured
//! square emoji (🟦 🟪 🟩 🟧 🟥 🟫 🟨 ⬛), so a Markdown legend can show them where
//! Mermaid draws none.

use plotters::style::RGBColor;

/// A meaning a colour carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    /// Wall time of a build (median bars, every run's dot).
    Wall,
    /// Bytes one run leaves in the registry.
    Registry,
    /// A group of phases.
    Phase(PhaseGroup),
}

/// Phases grouped so that each group has its own colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhaseGroup {
    /// builder creation, context transfer, base image pull.
    Setup,
    CacheImport,
    Steps,
    /// image export, push, load.
    Image,
    CacheExport,
    /// CLI start and end, and time no phase explains.
    Other,
}

impl PhaseGroup {
    /// Every group, in the order phases happen.
    pub const ALL: [PhaseGroup; 6] = [
        PhaseGroup::Setup,
        PhaseGroup::CacheImport,
        PhaseGroup::Steps,
        PhaseGroup::Image,
        PhaseGroup::CacheExport,
        PhaseGroup::Other,
    ];

    /// The group of a phase name (`steps`, `cache_import`, …).
    pub fn of(phase: &str) -> PhaseGroup {
        match phase {
            "builder_create" | "context" | "base_pull" => PhaseGroup::Setup,
            // actions/cache's restore and save (outside the build) import and
            // export the cache too.
            "cache_import" | "cache_restore" => PhaseGroup::CacheImport,
            "steps" => PhaseGroup::Steps,
            "image_export" | "push" | "load" => PhaseGroup::Image,
            "cache_export" | "cache_save" => PhaseGroup::CacheExport,
            _ => PhaseGroup::Other,
        }
    }

    /// A short name, for table headers.
    pub fn short(self) -> &'static str {
        match self {
            PhaseGroup::Setup => "setup",
            PhaseGroup::CacheImport => "import",
            PhaseGroup::Steps => "steps",
            PhaseGroup::Image => "image",
            PhaseGroup::CacheExport => "export",
            PhaseGroup::Other => "other",
        }
    }

    /// The legend's name of the group.
    pub fn label(self) -> &'static str {
        match self {
            PhaseGroup::Setup => "setup (builder, context, base image)",
            PhaseGroup::CacheImport => "cache import",
            PhaseGroup::Steps => "build steps",
            PhaseGroup::Image => "image export, push, load",
            PhaseGroup::CacheExport => "cache export",
            PhaseGroup::Other => "other (CLI, unattributed)",
        }
    }
}

impl Meaning {
    /// The colour, as RGB.
    pub fn rgb(self) -> RGBColor {
        let (r, g, b) = self.triple();
        RGBColor(r, g, b)
    }

    /// The colour, as `#rrggbb`.
    pub fn hex(self) -> String {
        let (r, g, b) = self.triple();
        format!("#{r:02x}{g:02x}{b:02x}")
    }

    /// The square emoji of the same colour, for Markdown legends.
    pub fn square(self) -> &'static str {
        match self {
            Meaning::Wall => "🟦",
            Meaning::Registry => "🟪",
            Meaning::Phase(PhaseGroup::Setup) => "🟨",
            Meaning::Phase(PhaseGroup::CacheImport) => "🟧",
            Meaning::Phase(PhaseGroup::Steps) => "🟩",
            Meaning::Phase(PhaseGroup::Image) => "🟫",
            Meaning::Phase(PhaseGroup::CacheExport) => "🟥",
            Meaning::Phase(PhaseGroup::Other) => "⬛",
        }
    }

    fn triple(self) -> (u8, u8, u8) {
        match self {
            Meaning::Wall => (0x1f, 0x6f, 0xc5),
            Meaning::Registry => (0x8e, 0x44, 0xad),
            Meaning::Phase(PhaseGroup::Setup) => (0xe6, 0xb8, 0x00),
            Meaning::Phase(PhaseGroup::CacheImport) => (0xf3, 0x8b, 0x1c),
            Meaning::Phase(PhaseGroup::Steps) => (0x2e, 0x9e, 0x44),
            Meaning::Phase(PhaseGroup::Image) => (0x8d, 0x5a, 0x3b),
            Meaning::Phase(PhaseGroup::CacheExport) => (0xd6, 0x27, 0x28),
            Meaning::Phase(PhaseGroup::Other) => (0x33, 0x33, 0x33),
        }
    }
}

/// The Markdown legend of the phase colours: `🟨 setup: builder, context, base image · …`.
pub fn phase_legend() -> String {
    PhaseGroup::ALL
        .iter()
        .map(|g| format!("{} {}", Meaning::Phase(*g).square(), g.label()))
        .collect::<Vec<_>>()
        .join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_meaning_has_its_own_colour() {
        let mut all: Vec<Meaning> = vec![Meaning::Wall, Meaning::Registry];
        all.extend(PhaseGroup::ALL.iter().map(|g| Meaning::Phase(*g)));
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a.hex(), b.hex(), "{a:?} {b:?}");
                assert_ne!(a.square(), b.square(), "{a:?} {b:?}");
            }
        }
        assert_eq!(PhaseGroup::of("push"), PhaseGroup::Image);
        assert_eq!(PhaseGroup::of("client_end"), PhaseGroup::Other);
        assert_eq!(Meaning::Wall.hex(), "#1f6fc5");
    }
}
