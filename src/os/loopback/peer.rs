//! The peer check: a listener's say on a connection from its two addresses alone, before a byte
//! of it is read. [`owner`] asks the kernel which user owns the client's socket (Linux), and
//! [`same_user`], every listener's default, serves only the user awsenv runs as.

use std::net::SocketAddr;

use super::Answer;

/// Called with the accepted connection's local and remote addresses before anything is read:
/// `Ok` serves it, `Err` writes that answer and closes it unread.
pub type PeerCheck = dyn Fn(SocketAddr, SocketAddr) -> Result<(), Answer> + Send + Sync;

/// Serves only the user awsenv runs as (where the kernel can tell, see [`owner`]); anyone else
/// gets a 403 before a byte is read. The check every loopback listener starts from.
pub fn same_user(local: SocketAddr, peer: SocketAddr) -> Result<(), Answer> {
    match owner(local, peer).refusal() {
        None => Ok(()),
        Some(other) => {
            crate::os::log::debug!("loopback: refused a connection from {peer} ({other})");
            Err(Answer::new(403))
        }
    }
}

/// Who connected, as far as the kernel tells. Only Linux tells (elsewhere every peer is
/// `Unchecked`).
pub enum Owner {
    /// The user awsenv runs as.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    Me,
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    Other(u32),
    /// Not in the kernel's tables (Linux): refused, since it cannot be shown to be the user.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    Unknown,
    /// This platform cannot tell: served.
    #[cfg_attr(target_os = "linux", allow(dead_code))]
    Unchecked,
}

impl Owner {
    /// Who to name in a refusal, or None to serve.
    pub fn refusal(&self) -> Option<String> {
        match self {
            Owner::Me | Owner::Unchecked => None,
            Owner::Other(uid) => Some(format!("uid {uid}")),
            Owner::Unknown => Some("a process whose owner cannot be found".into()),
        }
    }
}

/// The owner of the client socket at `peer` connected to our `local` end.
///
/// The kernel's socket tables are searched for the client's end of this very connection: the
/// row whose local address and port are `peer`'s and whose remote address and port are
/// `local`'s. Ports alone are not enough: another user can bind a client socket to the same
/// port on another loopback address (`127.0.0.2:PORT`), and then our own accepted socket
/// (local `127.0.0.1:L`, remote `127.0.0.2:PORT`) matches a port-only search too.
#[cfg(target_os = "linux")]
pub fn owner(local: SocketAddr, peer: SocketAddr) -> Owner {
    let me = rustix::process::geteuid().as_raw();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        if let Some(uid) = owner_in(&text, local, peer) {
            return if uid == me {
                Owner::Me
            } else {
                Owner::Other(uid)
            };
        }
    }
    Owner::Unknown
}

#[cfg(not(target_os = "linux"))]
pub fn owner(_local: SocketAddr, _peer: SocketAddr) -> Owner {
    Owner::Unchecked
}

/// An address of a `/proc/net/tcp{,6}` row (`0100007F:1F90`: the address as the kernel's words
/// in host byte order, then the port), IPv4 ones seen as IPv6 (mapped) so both tables compare.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn parse_row_addr(text: &str) -> Option<(std::net::Ipv6Addr, u16)> {
    let (addr, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let mut bytes = Vec::with_capacity(16);
    for i in (0..addr.len()).step_by(8) {
        let word = u32::from_str_radix(addr.get(i..i + 8)?, 16).ok()?;
        bytes.extend_from_slice(&word.to_ne_bytes());
    }
    let ip = match bytes.len() {
        4 => std::net::Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_ipv6_mapped(),
        16 => std::net::Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?),
        _ => return None,
    };
    Some((ip, port))
}

/// `addr` as a `/proc/net` row names it (IPv4 as mapped IPv6).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn as_row_addr(addr: SocketAddr) -> (std::net::Ipv6Addr, u16) {
    let ip = match addr.ip() {
        std::net::IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        std::net::IpAddr::V6(v6) => v6,
    };
    (ip, addr.port())
}

/// In a `/proc/net/tcp{,6}` table, the uid of the client's end of the connection between our
/// `local` end and `peer`: the row whose local address is `peer` and remote address `local`.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn owner_in(table: &str, local: SocketAddr, peer: SocketAddr) -> Option<u32> {
    let (ours, theirs) = (as_row_addr(local), as_row_addr(peer));
    table.lines().skip(1).find_map(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let (l, r, uid) = (cols.get(1)?, cols.get(2)?, cols.get(7)?);
        (parse_row_addr(l)? == theirs && parse_row_addr(r)? == ours)
            .then(|| uid.parse().ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_end_of_this_very_connection_is_found() {
        let a = |s: &str| -> SocketAddr { s.parse().unwrap() };
        // Our listener 127.0.0.1:8080. The user's browser at 127.0.0.1:40000 (uid 0), and
        // another user (1002) bound to 127.0.0.2:40000, the same port on another address.
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n\
   1: 0100007F:1F90 0200007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 2 1\n\
   2: 0200007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1002        0 3 1\n\
   3: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 4 1\n\
   4: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 5 1\n";
        let local = a("127.0.0.1:8080");
        assert_eq!(owner_in(table, local, a("127.0.0.2:40000")), Some(1002));
        assert_eq!(owner_in(table, local, a("127.0.0.1:40000")), Some(0));
        assert_eq!(owner_in(table, local, a("127.0.0.3:40000")), None);
        assert_eq!(owner_in(table, local, a("127.0.0.1:40001")), None);
        // tcp6: a client on ::1 (words in host order).
        let v6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 00000000000000000000000001000000:9C40 00000000000000000000000001000000:1F90 01 00000000:00000000 00:00000000 00000000  1003        0 6 1\n";
        if cfg!(target_endian = "little") {
            assert_eq!(owner_in(v6, a("[::1]:8080"), a("[::1]:40000")), Some(1003));
        }
    }
}
