//! The ground floor: the machine's edges. Everything awsenv touches outside its own logic —
//! the environment, directories, private files, the terminal, signals, the browser, messages,
//! the debug log — is done here, so the floors above stay plain logic.

pub mod browser;
pub mod dirs;
pub mod dumps;
pub mod env;
pub mod file_text;
pub mod headless;
pub mod interrupt;
pub mod log;
pub mod loopback;
pub mod private_file;
pub mod start;
pub mod text;
pub mod tty;
