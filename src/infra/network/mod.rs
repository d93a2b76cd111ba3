//! The network of cachebench's own engine: its bridge `cbXXXXXXXX` with a free
//! link-local /24, and outbound access ("egress") for the containers and the RUN
//! steps on that bridge, given the way Docker gives it to its default bridge:
//!
//! - `nat POSTROUTING -s SUBNET ! -o BRIDGE -j MASQUERADE`
//! - `filter FORWARD -i BRIDGE ! -o BRIDGE -j ACCEPT` (out)
//! - `filter FORWARD -o BRIDGE -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT` (back)
//!
//! each inserted at the top of its chain with `iptables -w` and tagged
//! `-m comment --comment cachebench:BRIDGE`: nothing else is flushed, reordered or
//! changed. `net.ipv4.ip_forward` is set to 1 only if it was 0 (and put back when the
//! last bridge of cachebench goes). The rules are removed with the bridge (end of
//! the matrix, drop of the engine, a second Ctrl-C through [`crate::infra::process`]'s
//! leftovers) and, for a run killed outright, by the next invocation's
//! [`firewall::sweep_stale`]: tagged rules whose bridge no longer exists.
//!
//! A link-local subnet is forwarded and masqueraded by Linux like any other (checked
//! for real: a namespace on such a bridge reaches the Debian mirror with these three
//! rules, and not without either of them); it is kept because it never collides with
//! a routed network of the host. `169.254.169.0/24` is never used: it holds the cloud
//! metadata address.
//!
//! Everything that knows the bridge's name and subnet lives here, so a later link
//! shaper (e.g. `tc` on the bridge, remote-cache realism) hooks into [`bridge::Bridge`].
//!
//! The files: `bridge.rs` (the bridge), `firewall.rs` (the tagged rules and
//! `ip_forward`), `probe.rs` (the egress probe), `diagnose.rs` (why a build's
//! download failed), `egress_env.rs` (what env.json says about all this), `apt.rs`
//! (the machine's Debian archive) and `quick.rs` (the short commands they run).

pub mod apt;
pub mod bridge;
pub mod diagnose;
pub mod egress_env;
pub mod firewall;
pub mod sync_command;
