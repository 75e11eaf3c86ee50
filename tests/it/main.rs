//! The integration tests, one binary: each module checks one part of awsenv end to end (its
//! own `//!` says which), with the harness in `support`.

mod support;

mod completions;
mod exec;
mod hook_scripts;
mod hooks;
mod keyring;
mod login;
mod login_session;
mod resolve;
mod rotate;
mod seams;
mod server;
mod shells;
mod sso_login;
mod sso_pkce;
mod sso_profiles;
mod store_file;
mod tty;
