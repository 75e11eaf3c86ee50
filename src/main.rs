//! awsenv: resolve an AWS profile the way the AWS CLI does and hand its credentials to a shell.
//!
//! The folders follow the data:
//! - `config/` reads the two files into profiles;
//! - `plan/` turns a profile into a plan, purely;
//! - `providers/` runs the plan over the AWS clients in `aws/`, through the caches in `creds/`
//!   and the key store in `store/`; `engine.rs` is the one entry into all of it;
//! - `shell/` turns credentials into text for a shell;
//! - `hook/` (markers, trust, the decision at each prompt) stands beside the engine;
//! - `os/` is the ground floor: environment, directories, private files, terminal, signals,
//!   browser, messages, the debug log.
//!
//! `cli.rs` holds the clap definitions, `cmd/` one file per subcommand, `complete/` tab
//! completion, and `context.rs` the one `Context` a run reads through.

mod aws;
mod cli;
mod cmd;
mod complete;
mod config;
mod context;
mod creds;
mod engine;
mod hook;
mod os;
mod plan;
mod providers;
mod server;
mod shell;
mod store;

use cli::{Cli, Command};
use context::Context;

fn main() -> std::process::ExitCode {
    os::start::install_panic_hook();
    // A panic on demand, for tests/it/startup.rs to see what a panic does to the real process.
    // Debug builds only (the tests' build): `cargo install` builds release, which has no such
    // variable.
    #[cfg(debug_assertions)]
    if let Some(message) = std::env::var_os("_AWSENV_TEST_PANIC") {
        panic!("{}", message.to_string_lossy());
    }
    run().into()
}

/// Runs the command line; the process's exit status.
fn run() -> u8 {
    // Every run may hold secrets (keys, tokens, the hook's saved values): none in a core dump.
    os::dumps::not_dumpable();
    // A TAB in a shell runs `awsenv` with `_AWSENV_COMPLETE` set: answer it and exit.
    complete::answer_if_asked(Cli::completion_tree);
    let cli = Cli::from_process();
    if cli.globals.debug {
        os::log::enable();
    }
    let ctx = Context::from_process();
    let result = match cli.command {
        Command::Use(a) => cmd::use_profile::run(&ctx, a),
        Command::Unset(a) => cmd::unset::run(&ctx, a),
        Command::Exec(a) => cmd::exec::run(&ctx, a),
        Command::Export(a) => cmd::export::run(&ctx, a),
        Command::List(a) => cmd::list::run(&ctx, a),
        Command::Login(a) => cmd::login::run(&ctx, a),
        Command::Sso(c) => cmd::sso::run(&ctx, c),
        Command::Completions(a) => cmd::completions::run(&ctx, a),
        Command::Man(a) => cmd::man::run(a),
        Command::Init(a) => cmd::init::run(a),
        Command::Allow(a) => cmd::allow::allow(&ctx, a),
        Command::Deny(a) => cmd::allow::deny(&ctx, a),
        Command::Status(a) => cmd::status::run(&ctx, a),
        Command::Hook(a) => cmd::hook::run(&ctx, a),
        Command::Serve(a) => cmd::serve::run(&ctx, a),
        Command::Add(a) => cmd::add::run(&ctx, a),
        Command::Remove(a) => cmd::remove::run(&ctx, a),
        Command::Clear(a) => cmd::clear::run(&ctx, a),
        Command::Rotate(a) => cmd::rotate::run(&ctx, a),
    };
    ctx.finish();
    match result {
        Ok(()) => 0,
        Err(e) => {
            // One line: the whole cause chain, control characters (a profile or directory name
            // with terminal escapes) and newlines escaped.
            os::log::notice(&os::text::inert(&format!("{e:#}")));
            match e.downcast_ref::<cmd::child::CannotRun>() {
                Some(c) => c.code,
                None => 1,
            }
        }
    }
}
