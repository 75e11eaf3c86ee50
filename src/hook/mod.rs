//! The shell hook's side of awsenv, beside the engine: `.awsprofile` markers ([`marker`]),
//! which of them the user trusts ([`trust`]), what the hook remembers between prompts
//! ([`state`]), and what to do at a prompt ([`decide`], pure). The command that runs at each
//! prompt (`cmd/hook.rs`) reads these, asks the engine for credentials, and prints the
//! difference between the environment it has and the one it should have.

pub mod decide;
pub mod marker;
pub mod state;
pub mod trust;
