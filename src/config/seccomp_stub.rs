//! Stand-in for linux.seccomp until the seccomp parser (config/seccomp.rs) is wired in.
use serde::Deserialize;
#[derive(Deserialize, Debug, Default)]
pub struct Seccomp<'a> {
    #[serde(rename = "defaultAction", borrow)]
    pub default_action: &'a str,
}
