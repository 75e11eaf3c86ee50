//! The integration tests, one binary: each module checks one part of awsenv end to end (its
//! own `//!` says which), with the harness in `support`.

mod support;

mod botocore;
mod completions;
mod exec;
mod first_use;
mod hook_scripts;
mod hooks;
mod keyring;
mod list_long;
mod login;
mod login_session;
mod networks;
mod nu_elvish;
mod odd_files;
mod reliability;
mod resolve;
mod rotate;
mod seams;
mod security;
mod security2;
mod security_users;
mod security_users2;
mod server;
mod shells;
mod sso_anywhere;
mod sso_login;
mod sso_pkce;
mod sso_profiles;
mod startup;
mod store_file;
mod tty;
mod windows;
mod xonsh_tcsh;
