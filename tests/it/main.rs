//! The integration tests, one binary: each module checks one part of awsenv end to end (its
//! own `//!` says which), with the harness in `support`.

mod support;

mod completions;
mod exec;
mod first_use;
mod hook_scripts;
mod hooks;
mod keyring;
mod login;
mod resolve;
mod rotate;
mod seams;
mod shells;
mod sso_login;
mod store_file;
mod tty;
