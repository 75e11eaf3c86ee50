//! The encrypted file store, for machines without an OS keyring (servers, CI).
//!
//! One file per item under a 0700 directory, each 0600 and replaced atomically. A key is derived
//! once per run from the passphrase with Argon2id (salt and cost in the `header` file) and every
//! item is sealed with XChaCha20-Poly1305. The item's name is the associated data, so an item
//! moved to another name fails to open. The header carries a sealed known value, so a wrong
//! passphrase is told apart from a damaged item — and is found before anything is written.
//!
//! Layout of `header`: MAGIC, m_cost, t_cost, p_cost (u32 LE), salt (16), nonce (24), sealed
//! VERIFIER. Layout of an item: ITEM_MAGIC, nonce (24), ciphertext + tag.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{private_dir, write_atomic, Backend, ItemId, StoreError, StoreResult};
use crate::os::env::{self, Env};

const MAGIC: &[u8] = b"awsenv-store-1\n";
const ITEM_MAGIC: &[u8] = b"awsenv-item-1\n";
const VERIFIER: &[u8] = b"awsenv passphrase check";
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// Argon2id cost for new stores: OWASP's recommendation (19 MiB, 2 passes, 1 lane). It is paid
/// once per awsenv run that reads or writes a secret (~30 ms on a laptop core).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cost {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

impl Cost {
    pub const DEFAULT: Cost = Cost {
        m_kib: 19 * 1024,
        t: 2,
        p: 1,
    };

    /// Refuses costs no awsenv would write, so a doctored header cannot make us allocate
    /// more memory or spend more time than a store awsenv made costs.
    fn plausible(self) -> bool {
        (8..=Cost::DEFAULT.m_kib).contains(&self.m_kib)
            && (1..=Cost::DEFAULT.t).contains(&self.t)
            && (1..=Cost::DEFAULT.p).contains(&self.p)
    }
}

/// Where the passphrase comes from.
pub enum Passphrase {
    /// `AWSENV_FILE_PASSPHRASE` (the value given), else a prompt on the terminal.
    EnvOrTerminal(Option<Zeroizing<String>>),
    #[cfg(test)]
    Fixed(String),
}

impl Passphrase {
    pub fn from_env_or_terminal(env: &Env) -> Passphrase {
        Passphrase::EnvOrTerminal(
            env.get(env::FILE_PASSPHRASE)
                .map(|p| Zeroizing::new(p.to_string())),
        )
    }

    fn get(&self, dir: &Path, new_store: bool) -> StoreResult<Zeroizing<String>> {
        let no = |reason: String| StoreError::NoPassphrase {
            path: dir.display().to_string(),
            reason,
        };
        match self {
            #[cfg(test)]
            Passphrase::Fixed(p) => Ok(Zeroizing::new(p.clone())),
            Passphrase::EnvOrTerminal(given) => {
                if let Some(p) = given {
                    return Ok(p.clone());
                }
                let ask = |prompt: &str| {
                    rpassword::prompt_password(prompt)
                        .map(Zeroizing::new)
                        .map_err(|e| no(format!("cannot ask: {e}")))
                };
                if new_store {
                    let p = ask("New passphrase for the awsenv store: ")?;
                    let again = ask("Repeat the passphrase: ")?;
                    if *p != *again {
                        return Err(no("the two passphrases differ".into()));
                    }
                    if p.is_empty() {
                        return Err(no("the passphrase is empty".into()));
                    }
                    Ok(p)
                } else {
                    ask("Passphrase for the awsenv store: ")
                }
            }
        }
    }
}

pub struct FileBackend {
    dir: PathBuf,
    passphrase: Passphrase,
    cost: Cost,
    cipher: OnceCell<XChaCha20Poly1305>,
}

impl FileBackend {
    pub fn new(dir: PathBuf, passphrase: Passphrase) -> FileBackend {
        FileBackend {
            dir,
            passphrase,
            cost: Cost::DEFAULT,
            cipher: OnceCell::new(),
        }
    }

    #[cfg(test)]
    pub fn with_cost(mut self, cost: Cost) -> FileBackend {
        self.cost = cost;
        self
    }

    fn header_path(&self) -> PathBuf {
        self.dir.join("header")
    }

    fn item_path(&self, id: &ItemId) -> PathBuf {
        // Hashed: any profile name makes a valid, fixed-length file name.
        let name = hex::encode(Sha256::digest(id.name().as_bytes()));
        self.dir.join(format!("{name}.item"))
    }

    fn damaged(path: &Path, problem: &str) -> StoreError {
        StoreError::Damaged {
            path: path.display().to_string(),
            problem: problem.to_string(),
        }
    }

    /// The cipher for this store: derived from the passphrase and the header (created on the
    /// first write when `create` is set). None when there is no store yet and `create` is off.
    fn cipher(&self, create: bool) -> StoreResult<Option<&XChaCha20Poly1305>> {
        if let Some(c) = self.cipher.get() {
            return Ok(Some(c));
        }
        let path = self.header_path();
        let header = match read_private(&path) {
            Ok(h) => h,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !create {
                    return Ok(None);
                }
                match self.create_header()? {
                    Some(cipher) => return Ok(Some(self.cipher.get_or_init(|| cipher))),
                    // Another run created it first: use theirs.
                    None => read_private(&path).map_err(|source| StoreError::Io {
                        action: "cannot read",
                        path: path.display().to_string(),
                        source,
                    })?,
                }
            }
            Err(source) => {
                return Err(StoreError::Io {
                    action: "cannot read",
                    path: path.display().to_string(),
                    source,
                })
            }
        };
        let cipher = self.open_header(&header)?;
        Ok(Some(self.cipher.get_or_init(|| cipher)))
    }

    fn open_header(&self, header: &[u8]) -> StoreResult<XChaCha20Poly1305> {
        let path = self.header_path();
        let fixed = MAGIC.len() + 12 + SALT_LEN + NONCE_LEN;
        if header.len() != fixed + VERIFIER.len() + TAG_LEN || !header.starts_with(MAGIC) {
            return Err(Self::damaged(&path, "not an awsenv store header"));
        }
        let u32_at = |i: usize| {
            let at = MAGIC.len() + 4 * i;
            u32::from_le_bytes(header[at..at + 4].try_into().expect("4 bytes"))
        };
        let cost = Cost {
            m_kib: u32_at(0),
            t: u32_at(1),
            p: u32_at(2),
        };
        if !cost.plausible() {
            return Err(Self::damaged(&path, "implausible key derivation cost"));
        }
        let salt_at = MAGIC.len() + 12;
        let salt = &header[salt_at..salt_at + SALT_LEN];
        let nonce = XNonce::from_slice(&header[salt_at + SALT_LEN..fixed]);
        let passphrase = self.passphrase.get(&self.dir, false)?;
        let cipher = derive(&passphrase, salt, cost)?;
        cipher
            .decrypt(
                nonce,
                Payload {
                    msg: &header[fixed..],
                    aad: &header[..fixed],
                },
            )
            .map_err(|_| StoreError::WrongPassphrase {
                path: self.dir.display().to_string(),
            })?;
        Ok(cipher)
    }

    /// Writes a new header; None if another run created one meanwhile.
    fn create_header(&self) -> StoreResult<Option<XChaCha20Poly1305>> {
        use chacha20poly1305::aead::rand_core::RngCore;
        private_dir(&self.dir)?;
        let passphrase = self.passphrase.get(&self.dir, true)?;
        let mut salt = [0u8; SALT_LEN];
        OsRng.fill_bytes(&mut salt);
        let cipher = derive(&passphrase, &salt, self.cost)?;
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let mut header = MAGIC.to_vec();
        for v in [self.cost.m_kib, self.cost.t, self.cost.p] {
            header.extend_from_slice(&v.to_le_bytes());
        }
        header.extend_from_slice(&salt);
        header.extend_from_slice(&nonce);
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: VERIFIER,
                    aad: &header,
                },
            )
            .map_err(|_| Self::damaged(&self.dir, "cannot seal the header"))?;
        header.extend_from_slice(&sealed);
        let path = self.header_path();
        let io = |source| StoreError::Io {
            action: "cannot write",
            path: path.display().to_string(),
            source,
        };
        // Never replaces a header: that would make every stored item unreadable.
        match crate::os::private_file::write_new(&path, &header) {
            Ok(()) => Ok(Some(cipher)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(None),
            Err(e) => Err(io(e)),
        }
    }
}

/// The store's files are read only when they are the user's own and nobody else can write them
/// (`os::private_file::read`); a missing one is `NotFound`, as `std::fs::read` says it.
fn read_private(path: &Path) -> std::io::Result<Vec<u8>> {
    crate::os::private_file::read(path)?.ok_or_else(|| std::io::ErrorKind::NotFound.into())
}

fn derive(passphrase: &str, salt: &[u8], cost: Cost) -> StoreResult<XChaCha20Poly1305> {
    use argon2::{Algorithm, Argon2, Params, Version};
    let bad = |e: argon2::Error| StoreError::Damaged {
        path: "the store header".into(),
        problem: e.to_string(),
    };
    let params = Params::new(cost.m_kib, cost.t, cost.p, Some(32)).map_err(bad)?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, key.as_mut())
        .map_err(bad)?;
    Ok(XChaCha20Poly1305::new(key.as_ref().into()))
}

fn aad(id: &ItemId) -> Vec<u8> {
    let mut a = ITEM_MAGIC.to_vec();
    a.extend_from_slice(id.name().as_bytes());
    a
}

impl Backend for FileBackend {
    fn get(&self, id: &ItemId) -> StoreResult<Option<Zeroizing<Vec<u8>>>> {
        let path = self.item_path(id);
        let bytes = match read_private(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(StoreError::Io {
                    action: "cannot read",
                    path: path.display().to_string(),
                    source,
                })
            }
        };
        let Some(cipher) = self.cipher(false)? else {
            return Err(Self::damaged(&self.header_path(), "the header is missing"));
        };
        if bytes.len() < ITEM_MAGIC.len() + NONCE_LEN + TAG_LEN || !bytes.starts_with(ITEM_MAGIC) {
            return Err(Self::damaged(&path, "truncated or not an awsenv item"));
        }
        let (nonce, sealed) = bytes[ITEM_MAGIC.len()..].split_at(NONCE_LEN);
        let plain = cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad(id),
                },
            )
            .map_err(|_| Self::damaged(&path, "authentication failed"))?;
        Ok(Some(Zeroizing::new(plain)))
    }

    fn set(&self, id: &ItemId, secret: &[u8]) -> StoreResult<()> {
        let cipher = self.cipher(true)?.expect("a store is created when writing");
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: secret,
                    aad: &aad(id),
                },
            )
            .map_err(|_| Self::damaged(&self.dir, "cannot seal the item"))?;
        let mut bytes = ITEM_MAGIC.to_vec();
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        write_atomic(&self.item_path(id), &bytes)
    }

    fn delete(&self, id: &ItemId) -> StoreResult<bool> {
        let path = self.item_path(id);
        if !path.exists() {
            return Ok(false);
        }
        // Deleting needs no key, but a wrong passphrase must destroy nothing: check it first.
        self.cipher(false)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(StoreError::Io {
                action: "cannot delete",
                path: path.display().to_string(),
                source,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::creds::cache::CacheKey;

    /// Cheap parameters keep the tests fast; the format is the same.
    const CHEAP: Cost = Cost {
        m_kib: 64,
        t: 1,
        p: 1,
    };

    fn backend(dir: &Path, pass: &str) -> FileBackend {
        FileBackend::new(dir.to_path_buf(), Passphrase::Fixed(pass.into())).with_cost(CHEAP)
    }

    fn keys(p: &str) -> ItemId {
        ItemId::Keys(p.into())
    }

    /// Every file in the store with its bytes, to prove that nothing changed.
    fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                let b = std::fs::read(&p).unwrap();
                (p, b)
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn round_trip_across_runs_with_private_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("items");
        let b = backend(&d, "correct horse");
        assert!(b.get(&keys("p")).unwrap().is_none(), "empty store");
        b.set(&keys("p"), b"secret-1").unwrap();
        b.set(&ItemId::Session(CacheKey::from_parts(&["x"])), b"s")
            .unwrap();
        // A new run (fresh key derivation) reads it back.
        let again = backend(&d, "correct horse");
        assert_eq!(
            again.get(&keys("p")).unwrap().unwrap().as_slice(),
            b"secret-1"
        );
        again.set(&keys("p"), b"secret-2").unwrap();
        assert_eq!(b.get(&keys("p")).unwrap().unwrap().as_slice(), b"secret-2");
        // The secret is not in any file in clear.
        for (p, bytes) in snapshot(&d) {
            assert!(
                !bytes.windows(8).any(|w| w == b"secret-2"),
                "{} holds the secret in clear",
                p.display()
            );
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&d), 0o700);
            for (p, _) in snapshot(&d) {
                assert_eq!(mode(&p), 0o600, "{}", p.display());
            }
        }
        assert!(again.delete(&keys("p")).unwrap());
        assert!(!again.delete(&keys("p")).unwrap());
        assert!(again.get(&keys("p")).unwrap().is_none());
    }

    #[test]
    fn wrong_passphrase_is_named_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        backend(dir.path(), "right").set(&keys("p"), b"v").unwrap();
        let before = snapshot(dir.path());
        let wrong = backend(dir.path(), "wrong");
        let err = wrong.get(&keys("p")).unwrap_err();
        assert!(matches!(err, StoreError::WrongPassphrase { .. }), "{err}");
        assert!(err.to_string().contains("wrong passphrase"), "{err}");
        let err = wrong.set(&keys("q"), b"w").unwrap_err();
        assert!(matches!(err, StoreError::WrongPassphrase { .. }), "{err}");
        let err = wrong.delete(&keys("p")).unwrap_err();
        assert!(matches!(err, StoreError::WrongPassphrase { .. }), "{err}");
        assert_eq!(
            snapshot(dir.path()),
            before,
            "a wrong passphrase changed the store"
        );
        assert_eq!(
            backend(dir.path(), "right")
                .get(&keys("p"))
                .unwrap()
                .unwrap()
                .as_slice(),
            b"v"
        );
    }

    #[test]
    fn truncated_tampered_and_moved_items_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let b = backend(dir.path(), "pw");
        b.set(&keys("a"), b"value-a").unwrap();
        b.set(&keys("b"), b"value-b").unwrap();
        let pa = b.item_path(&keys("a"));
        let pb = b.item_path(&keys("b"));
        let original = std::fs::read(&pa).unwrap();

        // One flipped bit in the ciphertext.
        let mut tampered = original.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        std::fs::write(&pa, &tampered).unwrap();
        let err = backend(dir.path(), "pw").get(&keys("a")).unwrap_err();
        assert!(err.to_string().contains("authentication failed"), "{err}");

        // Cut short.
        std::fs::write(&pa, &original[..original.len() / 2]).unwrap();
        let err = backend(dir.path(), "pw").get(&keys("a")).unwrap_err();
        assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
        std::fs::write(&pa, &original[..10]).unwrap();
        let err = backend(dir.path(), "pw").get(&keys("a")).unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");

        // b's file under a's name: sealed for another name.
        std::fs::copy(&pb, &pa).unwrap();
        let err = backend(dir.path(), "pw").get(&keys("a")).unwrap_err();
        assert!(err.to_string().contains("authentication failed"), "{err}");
        // b itself is untouched.
        assert_eq!(
            backend(dir.path(), "pw")
                .get(&keys("b"))
                .unwrap()
                .unwrap()
                .as_slice(),
            b"value-b"
        );
    }

    #[test]
    fn damaged_header_is_not_mistaken_for_an_empty_store() {
        let dir = tempfile::tempdir().unwrap();
        let b = backend(dir.path(), "pw");
        b.set(&keys("a"), b"v").unwrap();
        let header = b.header_path();
        let h = std::fs::read(&header).unwrap();
        std::fs::write(&header, &h[..20]).unwrap();
        let err = backend(dir.path(), "pw").get(&keys("a")).unwrap_err();
        assert!(
            err.to_string().contains("not an awsenv store header"),
            "{err}"
        );
        // A doctored cost is refused before any work.
        let mut big = h.clone();
        big[MAGIC.len()..MAGIC.len() + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        std::fs::write(&header, &big).unwrap();
        let err = backend(dir.path(), "pw").set(&keys("c"), b"w").unwrap_err();
        assert!(err.to_string().contains("implausible"), "{err}");
        // A changed salt: indistinguishable from a wrong passphrase, and nothing is written.
        let mut salted = h.clone();
        salted[MAGIC.len() + 12] ^= 1;
        std::fs::write(&header, &salted).unwrap();
        let err = backend(dir.path(), "pw").set(&keys("c"), b"w").unwrap_err();
        assert!(matches!(err, StoreError::WrongPassphrase { .. }), "{err}");
        assert!(!backend(dir.path(), "pw").item_path(&keys("c")).exists());
    }

    #[test]
    fn concurrent_writers_on_a_new_store_agree_on_one_header() {
        let dir = tempfile::tempdir().unwrap();
        let threads: Vec<_> = (0..6)
            .map(|t| {
                let d = dir.path().join("items");
                std::thread::spawn(move || {
                    let b = backend(&d, "shared");
                    for i in 0..10 {
                        let id = keys(&format!("p{t}"));
                        b.set(&id, format!("v{t}-{i}").as_bytes()).unwrap();
                        assert!(b.get(&id).unwrap().is_some());
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let b = backend(&dir.path().join("items"), "shared");
        for t in 0..6 {
            let v = b.get(&keys(&format!("p{t}"))).unwrap().unwrap();
            assert_eq!(v.as_slice(), format!("v{t}-9").as_bytes());
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("items"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn default_cost_is_accepted_and_is_the_cap() {
        assert!(Cost::DEFAULT.plausible());
        // Audit item 18: 1 GiB x 16 passes used to pass as "plausible".
        let d = Cost::DEFAULT;
        for more in [
            Cost {
                m_kib: 1024 * 1024,
                t: 16,
                p: 16,
            },
            Cost {
                m_kib: d.m_kib + 1,
                ..d
            },
            Cost { t: d.t + 1, ..d },
            Cost { p: d.p + 1, ..d },
        ] {
            assert!(!more.plausible(), "{more:?}");
        }
    }
}
