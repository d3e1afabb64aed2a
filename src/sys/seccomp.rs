//! seccomp(2) wrapper: written by the seccomp work.
