//! awsenv: resolve an AWS profile the way the AWS CLI does and hand its credentials to a shell.
//!
//! Data flows one way: `config` (the two files) → `resolve` (a plan) → `providers`/`sts`
//! (credentials, through `cache`) → `shell` (a script). `cmd/` holds one file per subcommand.

mod browser;
mod cache;
mod cli;
mod cmd;
mod complete;
mod config;
mod creds;
mod federation;
mod hook;
mod iam;
mod interrupt;
mod log;
mod marker;
mod mfa;
mod oidc;
mod private;
mod process;
mod providers;
mod resolve;
mod shell;
mod sso;
mod store;
mod sts;
mod trust;
mod tty;
mod vars;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    // A TAB in a shell runs `awsenv` with `_AWSENV_COMPLETE` set: answer it and exit.
    complete::answer_if_asked();
    let cli = Cli::parse();
    if cli.debug {
        log::enable();
    }
    let result = match cli.command {
        Command::Use(a) => cmd::use_profile::run(a),
        Command::Unset(a) => cmd::unset::run(a),
        Command::Exec(a) => cmd::exec::run(a),
        Command::Export(a) => cmd::export::run(a),
        Command::List(a) => cmd::list::run(a),
        Command::Login(a) => cmd::login::run(a),
        Command::Sso(c) => cmd::sso::run(c),
        Command::Completions(a) => cmd::completions::run(a),
        Command::Man(a) => cmd::man::run(a),
        Command::Init(a) => cmd::init::run(a),
        Command::Allow(a) => cmd::allow::allow(a),
        Command::Deny(a) => cmd::allow::deny(a),
        Command::Status(a) => cmd::status::run(a),
        Command::Hook(a) => cmd::hook::run(a),
        Command::Add(a) => cmd::add::run(a),
        Command::Remove(a) => cmd::remove::run(a),
        Command::Clear(a) => cmd::clear::run(a),
        Command::Rotate(a) => cmd::rotate::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the whole cause chain, newlines folded.
            let msg = format!("{e:#}").replace(['\n', '\r'], " ");
            eprintln!("awsenv: {msg}");
            ExitCode::FAILURE
        }
    }
}
